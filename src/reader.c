/*
 * reader.c
 *		Streaming JSON Lines reader.
 *
 * The file is read in large buffers and handed out a line at a time.  A line
 * that fits in the buffer is returned in place; one that spans a refill is
 * assembled in a carry buffer.  A line longer than max_line_bytes is
 * returned truncated and flagged, and the rest of it is skipped without
 * being kept, so memory never grows with the file or with its longest line.
 * LF and CRLF line ends are accepted, a UTF-8 byte order mark at the start
 * of the file is skipped, and a last line without a newline is returned.
 *
 * The reader also hashes every byte it reads, so the file's SHA-256 comes
 * with the single pass over it.  It knows nothing of JSON.
 */
#include "postgres.h"

#include <sys/stat.h>

#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/varlena.h"

#include "fingerprint.h"
#include "omni_ingest.h"
#include "reader.h"

#define READ_BUFFER_SIZE (1024 * 1024)

static const char utf8_bom[] = "\xEF\xBB\xBF";

static void CheckAllowedDirectory(const char *path);

/* Refuse to read server files for roles that could not COPY FROM them */
void
CheckServerFileReadable(const char *path)
{
	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read server file \"%s\"", path),
				 errdetail("Only roles with privileges of the \"pg_read_server_files\" role may read server files."),
				 errhint("Ask an administrator to grant pg_read_server_files, or load the file with psql's \\copy.")));

	if (!is_absolute_path(path))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relative path not allowed for server file \"%s\"", path),
				 errhint("Give the absolute path of a file on the database server.")));

	CheckAllowedDirectory(path);
}

/*
 * When omni_ingest.allowed_directories is set, the file, symbolic links
 * resolved, must lie inside one of its directories (also resolved).
 */
static void
CheckAllowedDirectory(const char *path)
{
	char	   *list;
	List	   *dirs;
	ListCell   *lc;
	char	   *real;

	if (omni_allowed_directories == NULL || omni_allowed_directories[0] == '\0')
		return;

	real = realpath(path, NULL);
	if (real == NULL)
		return;					/* a missing file is reported when it is opened */

	list = pstrdup(omni_allowed_directories);
	if (!SplitDirectoriesString(list, ',', &dirs))
		elog(ERROR, "invalid list syntax in omni_ingest.allowed_directories");
	foreach(lc, dirs)
	{
		char	   *dir = realpath((char *) lfirst(lc), NULL);
		size_t		len = dir ? strlen(dir) : 0;
		bool		inside = dir != NULL &&
			strncmp(real, dir, len) == 0 && (real[len] == '/' || strcmp(dir, "/") == 0);

		free(dir);
		if (inside)
		{
			free(real);
			return;
		}
	}
	free(real);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("server file is outside omni_ingest.allowed_directories"),
			 errdetail("\"%s\" is not inside any of: %s.", path, omni_allowed_directories),
			 errhint("Move the file into an allowed directory, or ask a superuser to allow its directory.")));
}

/* Open a file for reading, with COPY-like errors */
static FILE *
OpenServerFile(const char *path, int64 *size)
{
	FILE	   *file;
	struct stat st;

	/*
	 * Only regular files: opening a FIFO would wait for a writer, and a
	 * device could be read forever.
	 */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 S_ISDIR(st.st_mode) ?
				 errmsg("\"%s\" is a directory", path) :
				 errmsg("\"%s\" is not a regular file", path),
				 errhint("Give the path of a file, not of a directory, pipe or device.")));

	file = AllocateFile(path, PG_BINARY_R);
	if (file == NULL)
	{
		int			save_errno = errno;

		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", path),
				 save_errno == ENOENT ?
				 errhint("Check that the path names a file on the database server, not on the client.") :
				 errhint("Check that the database server's operating system user may read the file.")));
	}

	if (fstat(fileno(file), &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	*size = (int64) st.st_size;
	return file;
}

/* Open path and prepare to hand out its lines */
LineReader *
LineReaderOpen(const char *path, int max_line_bytes)
{
	LineReader *reader = palloc0(sizeof(LineReader));

	reader->path = pstrdup(path);
	reader->file = OpenServerFile(path, &reader->file_size);
	reader->max_line_bytes = max_line_bytes;
	reader->buf = palloc(READ_BUFFER_SIZE);
	reader->next_number = 1;
	initStringInfo(&reader->carry);

	reader->sha = Sha256Begin();

	return reader;
}

/*
 * Continue reading at a line boundary reached before (a resumed run).  The
 * running SHA-256 then covers only what follows.
 */
void
LineReaderSeek(LineReader *reader, int64 offset, int64 next_number)
{
	if (fseeko(reader->file, (off_t) offset, SEEK_SET) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not seek to byte " INT64_FORMAT " of file \"%s\": %m",
						offset, reader->path)));
	reader->buf_len = reader->buf_pos = 0;
	reader->eof = false;
	reader->next_offset = offset;
	reader->bytes_read = offset;
	reader->next_number = next_number;
}

/* Refill the buffer; false at end of file */
static bool
ReaderFill(LineReader *reader)
{
	size_t		n;

	if (reader->eof)
		return false;

	n = fread(reader->buf, 1, READ_BUFFER_SIZE, reader->file);
	if (n < READ_BUFFER_SIZE)
	{
		if (ferror(reader->file))
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", reader->path)));
		reader->eof = true;
	}

	Sha256Add(reader->sha, reader->buf, n);

	/* Skip a byte order mark at the very start of the file */
	if (reader->bytes_read == 0 && n >= 3 && memcmp(reader->buf, utf8_bom, 3) == 0)
	{
		reader->buf_pos = 3;
		reader->next_offset = 3;
	}
	else
		reader->buf_pos = 0;

	reader->buf_len = n;
	reader->bytes_read += n;
	return n > 0;
}

/* Append to the carry buffer, keeping at most max_line_bytes */
static void
ReaderCarry(LineReader *reader, const char *data, size_t len, int64 *full_len)
{
	size_t		room = reader->max_line_bytes - reader->carry.len;

	*full_len += len;
	if (room > 0)
		appendBinaryStringInfo(&reader->carry, data, Min(len, room));
}

/* Hand out the next line; false at end of file */
bool
LineReaderNext(LineReader *reader, ReaderLine *line)
{
	int64		line_start;
	int64		full_len = 0;
	bool		carrying = false;
	bool		newline = false;

	if (reader->buf_pos >= reader->buf_len && !ReaderFill(reader))
		return false;

	line_start = reader->next_offset;
	resetStringInfo(&reader->carry);

	for (;;)
	{
		char	   *start = reader->buf + reader->buf_pos;
		size_t		avail = reader->buf_len - reader->buf_pos;
		char	   *nl = memchr(start, '\n', avail);

		if (nl != NULL)
		{
			size_t		len = nl - start;

			reader->buf_pos += len + 1;
			newline = true;
			if (!carrying && len <= (size_t) reader->max_line_bytes)
			{
				/* The whole line is in the buffer: hand it out in place */
				full_len = len;
				line->data = start;
				line->len = (int) len;
				break;
			}
			ReaderCarry(reader, start, len, &full_len);
			break;
		}

		/* The line goes on past this buffer */
		ReaderCarry(reader, start, avail, &full_len);
		reader->buf_pos = reader->buf_len;
		carrying = true;
		if (!ReaderFill(reader))
			break;				/* last line has no newline */
	}

	if (carrying || full_len > reader->max_line_bytes)
	{
		line->data = reader->carry.data;
		line->len = reader->carry.len;
	}

	line->number = reader->next_number++;
	line->offset = line_start;
	line->full_len = full_len;
	line->truncated = full_len > line->len;
	reader->next_offset = line_start + full_len + (newline ? 1 : 0);

	/* CRLF: drop the carriage return */
	if (!line->truncated && line->len > 0 && line->data[line->len - 1] == '\r')
	{
		line->len--;
		line->full_len--;
	}

	return true;
}

/* Finish the running SHA-256 of everything read, as hex */
char *
LineReaderFinishSha256(LineReader *reader)
{
	char	   *hex = Sha256FinishHex(reader->sha);

	reader->sha = NULL;
	return hex;
}

/* Close the file and release the hash context */
void
LineReaderClose(LineReader *reader)
{
	if (reader->file)
		FreeFile(reader->file);
	reader->file = NULL;
	if (reader->sha)
		pg_cryptohash_free(reader->sha);
	reader->sha = NULL;
}

/*
 * Read the rest of the file without handing out lines, so that the running
 * SHA-256 covers the whole file (a run with a limit, or a rerun check).
 */
void
LineReaderSkipToEnd(LineReader *reader)
{
	reader->buf_pos = reader->buf_len;
	while (ReaderFill(reader))
	{
		reader->buf_pos = reader->buf_len;
		CHECK_FOR_INTERRUPTS();
	}
}

/* True when a line holds nothing but JSON white space */
bool
LineIsBlank(const char *data, int len)
{
	for (int i = 0; i < len; i++)
	{
		char		c = data[i];

		if (c != ' ' && c != '\t' && c != '\r')
			return false;
	}
	return true;
}
