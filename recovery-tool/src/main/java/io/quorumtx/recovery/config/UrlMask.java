package io.quorumtx.recovery.config;

import java.util.regex.Pattern;

/**
 * Hides credentials that a JDBC URL may carry: {@code password=...} parameters in any of the
 * forms drivers accept ({@code ;PASSWORD=x}, {@code ?password=x&}, {@code :password=x}) and
 * {@code user:secret@host} authorities.
 */
public final class UrlMask {
    private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)((?:password|passwd|pwd)[^=;&?/:]*=)[^;&]*");
    private static final Pattern AUTHORITY = Pattern.compile("(//[^/:@?;]+:)[^@/?;]*@");

    private UrlMask() {
    }

    public static String mask(String url) {
        if (url == null) {
            return "(no URL)";
        }
        String masked = PASSWORD_PARAMETER.matcher(url).replaceAll("$1***");
        return AUTHORITY.matcher(masked).replaceAll("$1***@");
    }
}
