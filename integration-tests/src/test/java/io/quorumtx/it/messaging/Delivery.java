package io.quorumtx.it.messaging;

/**
 * One message as the broker handed it to the consumer (a redelivery or a re-publication is another
 * {@code Delivery} with the same id). Its payload is the producer's {@code key,txNo,commit|rollback}.
 */
record Delivery(String messageId, String key, int txNo, boolean fromCommit) {
    static Delivery parse(String messageId, String payload) {
        String[] f = payload.split(",", -1);
        if (f.length != 3 || messageId == null) {
            throw new IllegalArgumentException("not a message of this test: id " + messageId + ", payload " + payload);
        }
        return new Delivery(messageId, f[0], Integer.parseInt(f[1]), f[2].equals("commit"));
    }
}
