# newswatch_fuzz_target(<name> DEPS <libs>) lines, one per target.
