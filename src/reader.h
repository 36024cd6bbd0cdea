/*
 * reader.h
 *		Streaming JSON Lines reader: a server file as numbered lines.
 */
#ifndef OMNI_READER_H
#define OMNI_READER_H

#include "postgres.h"

#include <sys/stat.h>

#include "common/cryptohash.h"
#include "common/sha2.h"
#include "lib/stringinfo.h"

/*
 * Bytes a reader asks the file for at a time, and the size of the blocks a
 * FileDigest keeps a SHA-256 of: a reader that verifies reads whole blocks
 * at block boundaries.
 */
#define READER_BLOCK_SIZE (1024 * 1024)

/*
 * What a file was when a run began: identity, size, modification time, and
 * the SHA-256 of every READER_BLOCK_SIZE block and of the whole, all from one
 * read.  A reader given a digest (LineReaderVerify) checks every block it
 * reads against it and raises when the file is no longer the one described.
 */
typedef struct FileDigest
{
	dev_t		dev;
	ino_t		ino;
	int64		size;
	struct timespec mtime;
	int64		nblocks;
	uint8	   *blocks;			/* nblocks digests of PG_SHA256_DIGEST_LENGTH */
	char	   *sha256;			/* of the whole file, hex */
	bool		changed;		/* set before an error that says it changed */
} FileDigest;

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
	dev_t		dev;			/* identity and modification time at open */
	ino_t		ino;
	struct timespec mtime;
	pg_cryptohash_ctx *sha;		/* SHA-256 of every byte read (none after a seek) */
	FileDigest *verify;			/* check every block read against this */
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
extern void LineReaderHashUpTo(LineReader *reader, int64 offset);
extern bool LineReaderSkipLine(LineReader *reader);
extern void LineReaderCheckUnchanged(LineReader *reader);
extern void ReaderFileChanged(const char *path, const char *detail) pg_attribute_noreturn();
extern bool LineIsBlank(const char *data, int len);

extern FileDigest *FileDigestCompute(const char *path);
extern void LineReaderVerify(LineReader *reader, FileDigest *digest);
extern void FileDigestCheckPath(FileDigest *digest, const char *path);

#endif							/* OMNI_READER_H */
