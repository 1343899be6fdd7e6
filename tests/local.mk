# Tests: C unit tests (cmocka) run by `make check`; the e2e and browser suites
# (node's test runner) are run by tools/dev test, after `make check`.
include tests/unit/local.mk

TESTS += $(check_PROGRAMS)
EXTRA_DIST += tests/e2e tests/data tests/run-all.sh tests/unit/machine_test.h

# The mutant suite (tests/mutants/README.md): every mutant, or CI's share.
EXTRA_DIST += tests/mutants
mutants:
	$(SHELL) $(srcdir)/tests/mutants/run.sh
mutants-ci:
	$(SHELL) $(srcdir)/tests/mutants/run.sh --ci
.PHONY: mutants mutants-ci
