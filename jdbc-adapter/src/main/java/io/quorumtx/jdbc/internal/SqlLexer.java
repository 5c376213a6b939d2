package io.quorumtx.jdbc.internal;

/**
 * Just enough of a database's SQL lexer to find where each statement of a string starts and
 * what its first words are: whitespace, comments, string literals, quoted identifiers and
 * dollar-quoted bodies are stepped over, so that a keyword or a {@code ;} inside them is never
 * taken for one of the statement's own. Nothing is allocated: positions are ints into the string.
 *
 * <p>Each database's own rules, because a lexer that disagrees with the server in either
 * direction can hide a statement from {@link TransactionControlSql}: MySQL's {@code #} comments
 * and its {@code --} that needs a following space, H2's {@code //} comments, nested block
 * comments (PostgreSQL, H2), MySQL's executable comments {@code /*! ... *}{@code /} (whose
 * content runs), PostgreSQL's {@code $tag$} and H2's {@code $$} bodies, backslash escapes.
 * Whether a backslash escapes a quote depends on server settings the guard does not see
 * (MySQL's {@code NO_BACKSLASH_ESCAPES}, PostgreSQL's {@code standard_conforming_strings}); so
 * each lexer has a {@code backslashEscapes} reading, and {@link TransactionControlSql} scans a
 * string that holds a backslash under both readings and refuses if either finds a statement to refuse.
 */
record SqlLexer(boolean hashComments, boolean dashDashNeedsSpace, boolean slashSlashComments,
                boolean nestedComments, boolean executableComments, boolean dollarQuotes, boolean dollarTags,
                boolean backticks, boolean doubleQuotedStrings, boolean backslashEscapes) {

    static final SqlLexer H2 = new SqlLexer(false, false, true, true, false, true, false, true, false, false);
    static final SqlLexer POSTGRESQL = new SqlLexer(false, false, false, true, false, true, true, false, false, false);
    static final SqlLexer MYSQL = new SqlLexer(true, true, false, false, true, false, false, true, true, true);
    static final SqlLexer STANDARD = new SqlLexer(false, false, false, false, false, false, false, false, false, false);

    /** The same lexer with the other reading of a backslash in string literals. */
    SqlLexer otherBackslashReading() {
        return new SqlLexer(hashComments, dashDashNeedsSpace, slashSlashComments, nestedComments, executableComments,
                dollarQuotes, dollarTags, backticks, doubleQuotedStrings, !backslashEscapes);
    }

    /** The index of the next character that is code (not whitespace, not a comment), or the length. */
    int skipSpace(String s, int i) {
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            char next = i + 1 < n ? s.charAt(i + 1) : 0;
            if (c <= ' ' || (c >= 128 && Character.isWhitespace(c))) {
                i++;
            } else if (c == '-' && next == '-' && (!dashDashNeedsSpace || i + 2 >= n || s.charAt(i + 2) <= ' ')) {
                i = lineEnd(s, i + 2);
            } else if ((c == '#' && hashComments) || (c == '/' && next == '/' && slashSlashComments)) {
                i = lineEnd(s, i + 1);
            } else if (c == '/' && next == '*') {
                if (executableComments && i + 2 < n && (s.charAt(i + 2) == '!'
                        || (s.charAt(i + 2) == 'M' && i + 3 < n && s.charAt(i + 3) == '!'))) {
                    // MySQL runs what is inside /*!50100 ... */ (MariaDB also /*M! ... */): it is code.
                    i += s.charAt(i + 2) == '!' ? 3 : 4;
                    while (i < n && Character.isDigit(s.charAt(i))) {
                        i++;
                    }
                } else {
                    i = blockCommentEnd(s, i + 2);
                }
            } else if (executableComments && c == '*' && next == '/') {
                i += 2; // the end of an executable comment
            } else {
                return i;
            }
        }
        return n;
    }

    /** The index after the token that starts at {@code i} (a code character). */
    int skipToken(String s, int i) {
        char c = s.charAt(i);
        if (c == '\'') {
            return quotedEnd(s, i, '\'', backslashEscapes || escapeStringPrefix(s, i));
        }
        if (c == '"') {
            return quotedEnd(s, i, '"', doubleQuotedStrings && backslashEscapes);
        }
        if (c == '`' && backticks) {
            return quotedEnd(s, i, '`', false);
        }
        if (c == '$' && dollarQuotes) {
            int end = dollarQuoteEnd(s, i);
            if (end > 0) {
                return end;
            }
        }
        if (isWordChar(c)) {
            return wordEnd(s, i);
        }
        return i + 1;
    }

    static boolean isWordChar(char c) {
        if (c < 128) { // the usual case, without the Unicode tables
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
        }
        return Character.isLetterOrDigit(c);
    }

    static int wordEnd(String s, int i) {
        int n = s.length();
        while (i < n && isWordChar(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private int blockCommentEnd(String s, int i) {
        int n = s.length();
        int depth = 1;
        while (i < n) {
            char c = s.charAt(i);
            if (c == '*' && i + 1 < n && s.charAt(i + 1) == '/') {
                if (--depth == 0) {
                    return i + 2;
                }
                i += 2;
            } else if (nestedComments && c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
                depth++;
                i += 2;
            } else {
                i++;
            }
        }
        return n;
    }

    private static int lineEnd(String s, int i) {
        int n = s.length();
        while (i < n && s.charAt(i) != '\n' && s.charAt(i) != '\r') {
            i++;
        }
        return i;
    }

    private static int quotedEnd(String s, int i, char quote, boolean escapes) {
        int n = s.length();
        i++;
        while (i < n) {
            char c = s.charAt(i);
            if (c == '\\' && escapes) {
                i += 2;
            } else if (c == quote) {
                if (i + 1 < n && s.charAt(i + 1) == quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        return n;
    }

    /** PostgreSQL's E'...' strings take backslash escapes whatever the settings say. */
    private boolean escapeStringPrefix(String s, int quote) {
        if (!dollarTags || quote == 0) {
            return false;
        }
        char e = s.charAt(quote - 1);
        return (e == 'E' || e == 'e') && (quote == 1 || !isWordChar(s.charAt(quote - 2)));
    }

    /** The index after a dollar-quoted body starting at {@code i}, or -1 when {@code $} starts none here. */
    private int dollarQuoteEnd(String s, int i) {
        int n = s.length();
        if (i > 0 && isWordChar(s.charAt(i - 1))) {
            return -1; // a $ inside an identifier such as a$b
        }
        int tagEnd = i + 1;
        if (dollarTags) {
            if (tagEnd < n && Character.isDigit(s.charAt(tagEnd))) {
                return -1; // $1 is a parameter
            }
            while (tagEnd < n && s.charAt(tagEnd) != '$' && isWordChar(s.charAt(tagEnd))) {
                tagEnd++;
            }
        }
        if (tagEnd >= n || s.charAt(tagEnd) != '$') {
            return -1;
        }
        int delimiter = tagEnd + 1 - i;
        int from = tagEnd + 1;
        while (true) {
            int close = s.indexOf('$', from);
            if (close < 0) {
                return n;
            }
            if (s.regionMatches(close, s, i, delimiter)) {
                return close + delimiter;
            }
            from = close + 1;
        }
    }
}
