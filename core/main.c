/* pipe's entry point: everything lives in the core library (cli.c). */
int pipe_main(int argc, char **argv);

int main(int argc, char **argv)
{
    return pipe_main(argc, argv);
}
