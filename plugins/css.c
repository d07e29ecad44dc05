/* placeholder */
typedef int pipe_css_placeholder;
