#!/bin/sh
# Assemble the install script: the hand-written SQL, then one registration
# per shipped contract (every argument given and typed, so that no overload
# of omni_register_contract planted beside it can capture or break it).  Usage: contracts.sql.sh base.sql contract.json...
set -e
base=$1
shift
cat "$base"
echo
echo "-- Contracts shipped with the extension (generated from contracts/*.json)"
for f in "$@"; do
	if grep -q '\$omni_contract\$' "$f"; then
		echo "contract $f contains the quoting tag \$omni_contract\$" >&2
		exit 1
	fi
	echo "SELECT @extschema@.omni_register_contract(\$omni_contract\$"
	cat "$f"
	echo "\$omni_contract\$::jsonb, NULL::text, true);"
done
