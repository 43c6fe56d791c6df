// In-place tokenizer: copies each argument's characters down over its quotes.
#include "argv.hh"

namespace {
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
} // namespace

int split_cmdline(char* buf, char** argv, int max_args)
{
    int argc = 0;
    char* in = buf;
    char* out = buf;
    for (;;) {
        while (is_blank(*in))
            in++;
        if (!*in)
            break;
        if (argc == max_args)
            return -1;
        argv[argc++] = out;
        char quote = 0;
        for (; *in; in++) {
            if (quote) {
                if (*in == quote)
                    quote = 0;
                else
                    *out++ = *in;
            } else if (*in == '"' || *in == '\'') {
                quote = *in;
            } else if (is_blank(*in)) {
                break;
            } else {
                *out++ = *in;
            }
        }
        if (quote)
            return -1;
        bool more = *in != '\0';
        if (more)
            in++;
        *out++ = '\0';
        if (!more)
            break;
    }
    argv[argc] = nullptr;
    return argc;
}
