package io.quorumtx.it.faults;

/** The faults the {@link Nemesis} injects, as counted in the campaign's report. */
enum Fault {
    /** SIGKILL of one member, restarted at once or after the others took over. */
    KILL,
    /** SIGKILL of two members at once: no majority until they return. */
    KILL_MAJORITY,
    /** SIGTERM and a new incarnation: shutdown hooks run, the work in flight does not finish. */
    RESTART,
    /** SIGSTOP until another member saw its lease lapse, then SIGCONT: the "wrongly presumed dead" member. */
    PAUSE_PAST_LEASE,
    /** The acceptor directory deleted and the member started again, while another member is stopped or dead. */
    WIPE,
    /** One member cut off from the others, each way of cutting counted apart. */
    PARTITION_DROP,
    PARTITION_STALL,
    PARTITION_CLOSE;

    static Fault partition(LinkFault how) {
        return switch (how) {
            case DROP -> PARTITION_DROP;
            case STALL -> PARTITION_STALL;
            case CLOSE -> PARTITION_CLOSE;
            case NONE -> throw new IllegalArgumentException("NONE is no partition");
        };
    }
}
