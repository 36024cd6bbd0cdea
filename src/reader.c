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
 *
 * A run that reads one file in several passes (the resumable procedure
 * opens it again for every segment) takes a FileDigest first: the file's
 * identity (device, inode), size and modification time, and the SHA-256 of
 * each 1 MiB block, from the same read that gives the whole file's SHA-256.
 * A reader given that digest checks on opening that the file it opened is
 * the one described, reads whole blocks at block boundaries, and checks each
 * block against its digest before handing out a line of it.  So every line
 * it hands out comes from bytes equal (up to a SHA-256 collision) to those
 * the whole-file SHA-256 was computed over, whatever happens to the file in
 * between; FileDigestCheckPath adds that the path still names that file.
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

static const char utf8_bom[] = "\xEF\xBB\xBF";

static void CheckAllowedDirectory(const char *path);
static void ReaderVerifyBlock(LineReader *reader, size_t n);
static bool ReaderFill(LineReader *reader);
static void FileChanged(FileDigest *digest, const char *path,
						const char *what) pg_attribute_noreturn();

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

/* Open a file for reading, with COPY-like errors; *st as fstat says */
static FILE *
OpenServerFile(const char *path, struct stat *st_out)
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

	if (fstat(fileno(file), st_out) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	return file;
}

/* Open path and prepare to hand out its lines */
LineReader *
LineReaderOpen(const char *path, int max_line_bytes)
{
	LineReader *reader = palloc0(sizeof(LineReader));
	struct stat st;

	reader->path = pstrdup(path);
	reader->file = OpenServerFile(path, &st);
	reader->file_size = (int64) st.st_size;
	reader->dev = st.st_dev;
	reader->ino = st.st_ino;
	reader->mtime = st.st_mtim;
	reader->max_line_bytes = max_line_bytes;
	reader->buf = palloc(READER_BLOCK_SIZE);
	reader->next_number = 1;
	initStringInfo(&reader->carry);

	reader->sha = Sha256Begin();

	return reader;
}

/*
 * Continue reading at offset: a line boundary reached before (a resumed
 * run), or any byte (a parallel reader's span, which skips to the next line
 * itself).  A reader that verifies starts at the boundary of the block
 * holding offset, so that it reads (and can verify) whole blocks.  It keeps
 * no SHA-256 of the file.
 */
void
LineReaderSeek(LineReader *reader, int64 offset, int64 next_number)
{
	int64		block_start = reader->verify ? offset - offset % READER_BLOCK_SIZE : offset;
	int64		buf_start = reader->bytes_read - (int64) reader->buf_len;

	/* Still in the buffer (a worker's next span often is): no read */
	if (reader->verify == NULL && offset >= buf_start && offset < reader->bytes_read)
	{
		if (reader->sha)
			pg_cryptohash_free(reader->sha);
		reader->sha = NULL;
		reader->buf_pos = offset - buf_start;
		reader->next_offset = offset;
		reader->next_number = next_number;
		return;
	}

	if (fseeko(reader->file, (off_t) block_start, SEEK_SET) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not seek to byte " INT64_FORMAT " of file \"%s\": %m",
						block_start, reader->path)));
	if (reader->sha)
		pg_cryptohash_free(reader->sha);
	reader->sha = NULL;
	reader->buf_len = reader->buf_pos = 0;
	reader->eof = false;
	reader->bytes_read = block_start;
	reader->next_number = next_number;

	/* Read the block and skip to offset in it */
	if (offset > block_start &&
		(!ReaderFill(reader) || reader->buf_len < (size_t) (offset - block_start)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("file \"%s\" ends before byte " INT64_FORMAT, reader->path, offset),
				 errhint("Resume a run only on the file it was begun on.")));
	reader->buf_pos = offset - block_start;
	reader->next_offset = offset;
}

/* Refill the buffer; false at end of file */
static bool
ReaderFill(LineReader *reader)
{
	size_t		n;

	if (reader->eof)
		return false;

	n = fread(reader->buf, 1, READER_BLOCK_SIZE, reader->file);
	if (n < READER_BLOCK_SIZE)
	{
		if (ferror(reader->file))
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", reader->path)));
		reader->eof = true;
	}

	if (reader->verify)
		ReaderVerifyBlock(reader, n);
	if (reader->sha)
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
	char	   *hex;

	if (reader->sha == NULL)
		elog(ERROR, "reader of \"%s\" has no SHA-256 of the file", reader->path);
	hex = Sha256FinishHex(reader->sha);
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
	LineReaderHashUpTo(reader, PG_INT64_MAX);
}

/*
 * Pass the rest of the line the reader is in, keeping none of it, to the
 * start of the next line (next_offset); false when the file ends first
 */
bool
LineReaderSkipLine(LineReader *reader)
{
	for (;;)
	{
		char	   *start;
		char	   *nl;

		if (reader->buf_pos >= reader->buf_len && !ReaderFill(reader))
		{
			reader->next_offset = reader->bytes_read;
			return false;
		}
		start = reader->buf + reader->buf_pos;
		nl = memchr(start, '\n', reader->buf_len - reader->buf_pos);
		if (nl != NULL)
		{
			reader->buf_pos += nl - start + 1;
			reader->next_offset = reader->bytes_read - (int64) reader->buf_len + (int64) reader->buf_pos;
			return true;
		}
		reader->buf_pos = reader->buf_len;
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Read the file up to offset (or its end) without handing out lines, so
 * that the running SHA-256 covers it: the SHA-256 of a file whose lines
 * others read (parallel.c).
 */
void
LineReaderHashUpTo(LineReader *reader, int64 offset)
{
	reader->buf_pos = reader->buf_len;
	while (reader->bytes_read < offset && ReaderFill(reader))
	{
		reader->buf_pos = reader->buf_len;
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Raise the error of a file that is not the one a run began reading:
 * detail says how it differs
 */
void
ReaderFileChanged(const char *path, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("file \"%s\" changed while it was read", path),
			 errdetail_internal("%s", detail),
			 errhint("Load a file only once it is complete, for example by moving it into place.")));
}

/*
 * Raise unless the file the reader has open still has the identity, size
 * and modification time it had when opened: the check of a run whose lines
 * were read by other processes, each opening the file again.
 */
void
LineReaderCheckUnchanged(LineReader *reader)
{
	struct stat st;

	if (fstat(fileno(reader->file), &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", reader->path)));
	if ((int64) st.st_size != reader->file_size ||
		st.st_mtim.tv_sec != reader->mtime.tv_sec ||
		st.st_mtim.tv_nsec != reader->mtime.tv_nsec)
		ReaderFileChanged(reader->path,
						  "Its size or modification time is not what it was when opened.");
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

/*
 * Say that the file a digest describes has changed, and how; marks the
 * digest, so that a caller catching the error can tell it from others.
 */
static void
FileChanged(FileDigest *digest, const char *path, const char *what)
{
	digest->changed = true;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("file \"%s\" changed after the run began: %s", path, what),
			 errhint("Load a file only once it is complete, and leave it in place until its load has ended.")));
}

/* Raise unless st shows the file a digest describes, same size and time */
static void
FileCheckStat(FileDigest *digest, const char *path, const struct stat *st)
{
	if (st->st_dev != digest->dev || st->st_ino != digest->ino)
		FileChanged(digest, path, "another file was put in its place");
	if ((int64) st->st_size < digest->size)
		FileChanged(digest, path,
					psprintf("it shrank from " INT64_FORMAT " to " INT64_FORMAT " bytes",
							 digest->size, (int64) st->st_size));
	if ((int64) st->st_size > digest->size)
		FileChanged(digest, path,
					psprintf("it grew from " INT64_FORMAT " to " INT64_FORMAT " bytes",
							 digest->size, (int64) st->st_size));
	if (st->st_mtim.tv_sec != digest->mtime.tv_sec ||
		st->st_mtim.tv_nsec != digest->mtime.tv_nsec)
		FileChanged(digest, path, "its modification time changed");
}

/* SHA-256 of one block */
static void
BlockSha256(const char *data, size_t len, uint8 *digest)
{
	pg_cryptohash_ctx *ctx = Sha256Begin();

	Sha256Add(ctx, data, len);
	if (pg_cryptohash_final(ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not finalize SHA-256 context");
	pg_cryptohash_free(ctx);
}

/*
 * Check the block just read (n bytes at bytes_read) against the digest:
 * its length, then its SHA-256.
 */
static void
ReaderVerifyBlock(LineReader *reader, size_t n)
{
	FileDigest *d = reader->verify;
	int64		start = reader->bytes_read;
	int64		index = start / READER_BLOCK_SIZE;
	int64		expected = index < d->nblocks ? Min(READER_BLOCK_SIZE, d->size - start) : 0;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];

	Assert(start % READER_BLOCK_SIZE == 0);
	if ((int64) n != expected)
	{
		struct stat st;

		if (fstat(fileno(reader->file), &st) == 0)
			FileCheckStat(d, reader->path, &st);
		FileChanged(d, reader->path,
					psprintf("its block at byte " INT64_FORMAT " has " INT64_FORMAT " bytes, not " INT64_FORMAT,
							 start, (int64) n, expected));
	}
	if (n == 0)
		return;
	BlockSha256(reader->buf, n, digest);
	if (memcmp(digest, d->blocks + index * PG_SHA256_DIGEST_LENGTH, sizeof(digest)) != 0)
		FileChanged(d, reader->path,
					psprintf("bytes " INT64_FORMAT " to " INT64_FORMAT " differ from those it had (SHA-256)",
							 start, start + (int64) n - 1));
}

/*
 * Read a whole file once: its identity, size and modification time, and
 * the SHA-256 of every block and of the whole.  A file that changes while
 * it is read is refused.
 */
FileDigest *
FileDigestCompute(const char *path)
{
	FileDigest *d = palloc0(sizeof(FileDigest));
	struct stat st;
	struct stat after;
	FILE	   *file = OpenServerFile(path, &st);
	char	   *buf = palloc(READER_BLOCK_SIZE);
	pg_cryptohash_ctx *whole = Sha256Begin();
	int64		capacity = (int64) st.st_size / READER_BLOCK_SIZE + 1;
	int64		bytes = 0;
	size_t		n;

	d->dev = st.st_dev;
	d->ino = st.st_ino;
	d->size = (int64) st.st_size;
	d->mtime = st.st_mtim;
	d->blocks = palloc(capacity * PG_SHA256_DIGEST_LENGTH);
	while ((n = fread(buf, 1, READER_BLOCK_SIZE, file)) > 0)
	{
		CHECK_FOR_INTERRUPTS();
		if (d->nblocks == capacity)
		{
			capacity *= 2;
			d->blocks = repalloc(d->blocks, capacity * PG_SHA256_DIGEST_LENGTH);
		}
		Sha256Add(whole, buf, n);
		BlockSha256(buf, n, d->blocks + d->nblocks * PG_SHA256_DIGEST_LENGTH);
		d->nblocks++;
		bytes += n;
		if (n < READER_BLOCK_SIZE)
			break;
	}
	if (ferror(file))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", path)));
	if (fstat(fileno(file), &after) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	FreeFile(file);
	pfree(buf);

	if (bytes != d->size || (int64) after.st_size != d->size ||
		after.st_mtim.tv_sec != d->mtime.tv_sec || after.st_mtim.tv_nsec != d->mtime.tv_nsec)
		ReaderFileChanged(path,
						  psprintf("It had " INT64_FORMAT " bytes when opened, " INT64_FORMAT " were read and it has " INT64_FORMAT " now.",
								   d->size, bytes, (int64) after.st_size));
	d->sha256 = Sha256FinishHex(whole);
	return d;
}

/*
 * Check every block reader reads from now on against digest, and check now
 * that the file it opened is the one digest describes.  Call before the
 * first read (LineReaderSeek included).
 */
void
LineReaderVerify(LineReader *reader, FileDigest *digest)
{
	struct stat st;

	Assert(reader->bytes_read == 0);
	if (fstat(fileno(reader->file), &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", reader->path)));
	FileCheckStat(digest, reader->path, &st);
	reader->verify = digest;
}

/*
 * Raise unless path still names the file digest describes, with the same
 * size and modification time (before committing what was read from it).
 */
void
FileDigestCheckPath(FileDigest *digest, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
	{
		if (errno == ENOENT)
			FileChanged(digest, path, "it was removed or renamed");
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	}
	FileCheckStat(digest, path, &st);
}
