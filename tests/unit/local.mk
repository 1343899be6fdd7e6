# cmocka unit tests, one per engine or daemon unit.
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS) \
	-DMMLAB_TEST_DATA='"$(abs_top_srcdir)/tests/data"'

check_PROGRAMS += tests/unit/test_config
tests_unit_test_config_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_config_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)
