package io.quorumtx.tm.paxos;

/**
 * How a member's acceptor starts on its data directory ({@link ReplicatedLogConfig.Builder#startMode}).
 *
 * <p>Why a mode at all: an acceptor that lost its disk and comes back empty would promise and
 * accept again in instances it had voted in before, and with the loss of one disk Paxos could
 * choose a second value for a transaction already decided (issue 11, finding 1). So a missing or
 * empty directory is never created silently on an ordinary start: the operator says whether this
 * is a new cluster ({@link #BOOTSTRAP}) or a member whose disk was replaced ({@link #REJOIN}).
 */
public enum StartMode {
    /**
     * The first start of a member of a new cluster: creates the directory and an empty acceptor
     * file. Refused on a directory that already holds an acceptor file (start with
     * {@link #RESTART}).
     */
    BOOTSTRAP,
    /**
     * Every ordinary start (the default): opens the directory as it was left. Refused when the
     * directory or its acceptor file is missing, naming {@link #BOOTSTRAP} and {@link #REJOIN}.
     */
    RESTART,
    /**
     * The member's disk was lost or replaced: creates the directory with a durable rejoin fence
     * (now plus the clock-skew margin). The acceptor then refuses promises and accepts for every
     * transaction begun before the fence that it holds nothing of (answering
     * {@link PaxosReply.Kind#FENCED}), leaving those to the other members. Refused on a directory
     * that still holds an acceptor file. Later starts use {@link #RESTART}.
     */
    REJOIN
}
