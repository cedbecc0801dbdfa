# newswatch_fuzz_target(<name> DEPS <libs>) lines, one per target.
newswatch_fuzz_target(decode DEPS newswatch_decode)
newswatch_fuzz_target(alert DEPS newswatch_alert simdjson::simdjson)
newswatch_fuzz_target(fold DEPS newswatch_text)
newswatch_fuzz_target(telemetry DEPS newswatch_telemetry simdjson::simdjson)
newswatch_fuzz_target(rules DEPS newswatch_match)
newswatch_fuzz_target(query DEPS newswatch_match)
newswatch_fuzz_target(config DEPS newswatch_config)
