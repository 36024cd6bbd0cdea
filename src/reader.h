/*
 * reader.h
 *		Streaming JSON Lines reader: a server file as numbered lines.
 */
#ifndef OMNI_READER_H
#define OMNI_READER_H

#include "postgres.h"

#include "common/cryptohash.h"
#include "lib/stringinfo.h"

typedef struct LineReader
{
	const char *path;
	FILE	   *file;
	int			max_line_bytes; /* longer lines come back truncated */
	char	   *buf;			/* read buffer */
	size_t		buf_len;		/* bytes in buf */
	size_t		buf_pos;		/* next unread byte in buf */
	bool		eof;
	StringInfoData carry;		/* a line that spans buffer refills */
	int64		next_offset;	/* file offset of the next line */
	int64		next_number;	/* number of the next line (1-based) */
	int64		bytes_read;		/* bytes consumed from the file */
	int64		file_size;		/* size at open time */
	pg_cryptohash_ctx *sha;		/* SHA-256 of every byte read */
} LineReader;

/* One line, without its line terminator (LF or CRLF) */
typedef struct ReaderLine
{
	const char *data;			/* valid until the next LineReaderNext call */
	int			len;			/* bytes in data */
	int64		full_len;		/* bytes of the whole line (> len when truncated) */
	int64		number;			/* 1-based physical line number */
	int64		offset;			/* byte offset of the line in the file */
	bool		truncated;		/* longer than max_line_bytes */
} ReaderLine;

extern void CheckServerFileReadable(const char *path);
extern LineReader *LineReaderOpen(const char *path, int max_line_bytes);
extern void LineReaderSeek(LineReader *reader, int64 offset, int64 next_number);
extern bool LineReaderNext(LineReader *reader, ReaderLine *line);
extern char *LineReaderFinishSha256(LineReader *reader);
extern void LineReaderClose(LineReader *reader);
extern void LineReaderSkipToEnd(LineReader *reader);
extern bool LineIsBlank(const char *data, int len);

#endif							/* OMNI_READER_H */
