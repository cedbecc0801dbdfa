# newswatch_fuzz_target(<name> DEPS <libs>) lines, one per target.
newswatch_fuzz_target(fold DEPS newswatch_text)
