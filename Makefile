EXTENSION = omni_ingest
EXTVERSION = 0.2.0

MODULE_big = omni_ingest
OBJS = \
	src/omni_ingest.o \
	src/reader.o \
	src/parallel.o \
	src/judge.o \
	src/json_fast.o \
	src/parse.o \
	src/rules.o \
	src/storable.o \
	src/contract.o \
	src/contract_sql.o \
	src/spi_util.o \
	src/autonomous.o \
	src/fingerprint.o \
	src/ledger.o \
	src/lock.o \
	src/writer.o \
	src/direct.o \
	src/direct_table.o \
	src/silver_fill.o \
	src/loadmode.o \
	src/ingest.o \
	src/reconcile.o \
	src/manifest.o \
	src/replay.o \
	src/resumable.o \
	src/guard.o \
	src/owner.o \
	src/budget.o \
	src/target.o \
	src/distribute.o \
	$(patsubst %.c,%.o,$(wildcard src/jsonschema/*.c))

# The current install script is assembled from the hand-written SQL and the
# shipped contracts, so a contract lives in exactly one file.  The install
# scripts of released versions are frozen as shipped; an installed release
# reaches the current one through the upgrade scripts.
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA = sql/$(EXTENSION)--0.1.0.sql $(wildcard sql/$(EXTENSION)--*--*.sql)

REGRESS = $(sort $(basename $(notdir $(wildcard test/sql/*.sql))))
REGRESS_OPTS = --inputdir=test --load-extension=$(EXTENSION)

TAP_TESTS = 1
PROVE_TESTS = $(wildcard test/t/*.pl)

PG_CPPFLAGS = -I$(srcdir)/src
# Warnings are errors in the test scripts (scripts/lib.sh), not for packagers
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The shipped contracts' Bronze and Silver tables are created after them.
sql/$(EXTENSION)--$(EXTVERSION).sql: sql/$(EXTENSION).sql sql/contracts.sql.sh $(sort $(wildcard contracts/*.json)) sql/shipped_targets.sql
	{ sh sql/contracts.sql.sh sql/$(EXTENSION).sql $(sort $(wildcard contracts/*.json)) && \
	  echo && cat sql/shipped_targets.sql; } > $@

# The regression suites find the sample data and fixtures through this
installcheck: export OMNI_TEST_ROOT = $(abspath $(srcdir))

# Rebuild everything when a header changes (PGXS tracks no header dependencies)
$(OBJS): $(wildcard src/*.h src/jsonschema/*.h)
