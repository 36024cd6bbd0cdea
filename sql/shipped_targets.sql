-- Bronze and Silver tables of the shipped asset contracts, created after
-- the contracts are registered (appended to the install script after them).
-- Key and version are passed, every argument typed, so that neither the
-- schemas' annotations nor an overload planted beside the function decide
-- them.  doc_asset's own source_fingerprint (of the source content) stays
-- in Bronze only: Silver's source_fingerprint is the record's.
SELECT @extschema@.omni_create_target('omni://contracts/data/doc_asset/v1'::text, 'source_id'::text,
                                      '{ingest_ts}'::text[], NULL::text, NULL::text,
                                      '{source_fingerprint}'::text[]);
SELECT @extschema@.omni_create_target('omni://contracts/data/audio_asset/v1'::text, 'call_id'::text,
                                      '{ingest_ts}'::text[], NULL::text, NULL::text, NULL::text[]);
SELECT @extschema@.omni_create_target('omni://contracts/data/video_asset/v1'::text, 'video_id'::text,
                                      '{ingest_ts}'::text[], NULL::text, NULL::text, NULL::text[]);
