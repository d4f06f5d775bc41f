"""Pure domain logic: values, rules and decisions. No I/O, no wall clock."""
