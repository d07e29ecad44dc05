/* placeholder */
typedef int pipe_strip_placeholder;
