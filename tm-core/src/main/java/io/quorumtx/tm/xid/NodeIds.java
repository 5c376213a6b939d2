package io.quorumtx.tm.xid;

/** The rules for node ids and resource names, which become parts of every Xid. */
public final class NodeIds {
    /** Node ids are 1 to 24 characters of {@code [A-Za-z0-9_-]} (no dot: it separates gtrid parts). */
    public static final int MAX_LENGTH = 24;
    /** Resource names are 1 to 48 characters of {@code [A-Za-z0-9_.-]}. */
    public static final int MAX_RESOURCE_NAME_LENGTH = 48;

    private NodeIds() {
    }

    public static boolean isValid(String nodeId) {
        return nodeId != null && matches(nodeId, MAX_LENGTH, false);
    }

    public static boolean isValidResourceName(String name) {
        return name != null && matches(name, MAX_RESOURCE_NAME_LENGTH, true);
    }

    private static boolean matches(String s, int maxLength, boolean dotAllowed) {
        int n = s.length();
        if (n == 0 || n > maxLength) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '-' || (dotAllowed && c == '.');
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
