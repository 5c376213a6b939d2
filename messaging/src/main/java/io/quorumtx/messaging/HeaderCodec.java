package io.quorumtx.messaging;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Headers as one text column: {@code name=value} pairs joined by {@code &}, each part
 * URL-encoded (UTF-8), so any text survives and nothing needs a JSON library.
 */
final class HeaderCodec {
    private HeaderCodec() {
    }

    static String encode(Map<String, String> headers) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, String> e : headers.entrySet()) {
            if (out.length() > 0) {
                out.append('&');
            }
            out.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
        }
        return out.toString();
    }

    static Map<String, String> decode(String text) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (text == null || text.isEmpty()) {
            return headers;
        }
        for (String pair : text.split("&", -1)) {
            int eq = pair.indexOf('=');
            headers.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return headers;
    }
}
