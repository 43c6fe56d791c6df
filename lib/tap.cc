// TAP13 rendering helpers.
#include "tap.hh"

namespace {

void put_str(const Sink& out, const char* s)
{
    while (*s)
        out(*s++);
}

void put_uint(const Sink& out, unsigned v)
{
    char digits[12];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        out(digits[--n]);
}

// Writes text on one line: newlines become blanks, optionally escaping '#'/'\'.
void put_one_line(const Sink& out, const char* s, bool escape)
{
    for (; *s; s++) {
        char c = *s;
        if (c == '\n' || c == '\r')
            c = ' ';
        if (escape && (c == '#' || c == '\\'))
            out('\\');
        out(c);
    }
}

bool needs_yaml_quotes(const char* v)
{
    if (!*v)
        return true;
    if (*v == ' ' || *v == '-' || *v == '?' || *v == '[' || *v == '{' || *v == '!' || *v == '*' ||
        *v == '&' || *v == '|' || *v == '>' || *v == '@' || *v == '`' || *v == '"' || *v == '\'' ||
        *v == '%')
        return true;
    for (const char* p = v; *p; p++) {
        if (*p == ':' || *p == '#' || *p == '\n' || *p == '"' || *p == '\\')
            return true;
        if (!p[1] && *p == ' ')
            return true;
    }
    return false;
}

} // namespace

void tap_version(const Sink& out) { put_str(out, "TAP version 13\n"); }

void tap_result(const Sink& out, unsigned number, bool ok, const char* desc, TapDirective directive,
                const char* reason)
{
    put_str(out, ok ? "ok " : "not ok ");
    put_uint(out, number);
    if (desc && *desc) {
        put_str(out, " - ");
        put_one_line(out, desc, true);
    }
    if (directive != TapDirective::None) {
        put_str(out, directive == TapDirective::Skip ? " # SKIP" : " # TODO");
        if (reason && *reason) {
            out(' ');
            put_one_line(out, reason, false);
        }
    }
    out('\n');
}

void tap_yaml_begin(const Sink& out) { put_str(out, "  ---\n"); }

void tap_yaml_field(const Sink& out, const char* key, const char* value)
{
    put_str(out, "  ");
    put_str(out, key);
    put_str(out, ": ");
    if (!needs_yaml_quotes(value)) {
        put_str(out, value);
    } else {
        out('"');
        for (const char* p = value; *p; p++) {
            if (*p == '"' || *p == '\\')
                out('\\');
            if (*p == '\n') {
                put_str(out, "\\n");
                continue;
            }
            out(*p);
        }
        out('"');
    }
    out('\n');
}

void tap_yaml_end(const Sink& out) { put_str(out, "  ...\n"); }

void tap_plan(const Sink& out, unsigned count)
{
    put_str(out, "1..");
    put_uint(out, count);
    out('\n');
}

void tap_comment(const Sink& out, const char* text)
{
    put_str(out, "# ");
    if (!*text) {
        out('\n');
        return;
    }
    for (; *text; text++) {
        out(*text);
        if (*text == '\n' && text[1])
            put_str(out, "# ");
    }
    if (text[-1] != '\n')
        out('\n');
}
