/*
 * The unit test runner: one Check suite per module, TAP on stdout for meson.
 */
#include <stdlib.h>

#include <check.h>

#include "core.h"
#include "suites.h"

int main(void)
{
    pipe_process_init();
    SRunner *sr = srunner_create(css_suite());
    srunner_add_suite(sr, html_suite());
    srunner_add_suite(sr, re_suite());
    srunner_add_suite(sr, text_suite());
    srunner_add_suite(sr, json_suite());
    srunner_add_suite(sr, host_suite());
    srunner_add_suite(sr, extract_suite());
    srunner_add_suite(sr, meta_suite());
    srunner_add_suite(sr, warc_suite());
    srunner_add_suite(sr, outdir_suite());
    srunner_add_suite(sr, date_suite());
    srunner_add_suite(sr, util_suite());
    srunner_add_suite(sr, registry_suite());
    srunner_add_suite(sr, mem_suite());
    srunner_set_tap(sr, "-");
    srunner_run_all(sr, CK_SILENT);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
