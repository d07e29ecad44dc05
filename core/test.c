/*
 * `pipe test` and `pipe lint`: run the test cases that rule files declare,
 * and check rules without pages.  The logic lives in scripts/lib/test.lua;
 * this file hands it the arguments and turns its verdict into an exit code.
 */
#include "core.h"

const char pipe_test_help[] =
    "usage: pipe test [--update] [SCRIPT|DIR]...\n";
const char pipe_lint_help[] =
    "usage: pipe lint [SCRIPT|DIR]...\n";

int pipe_cmd_test(pipe_host *host, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return pipe_host_usage(host, "test: not implemented yet");
}

int pipe_cmd_lint(pipe_host *host, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return pipe_host_usage(host, "lint: not implemented yet");
}
