package io.quorumtx.it.faults;

import java.util.Random;

/**
 * The faults of a campaign as a sequence drawn from one seed. Every step draws the same number of
 * values whatever it turns out to be and whatever happens when it runs, so a seed always yields
 * the same sequence: a replay injects the same faults in the same order (how many fit in the
 * campaign's time, and how they interleave with the members' work, is up to the machine).
 */
final class Schedule {
    private final Random random;
    private final int members;

    Schedule(long seed, int members) {
        this.random = new Random(seed);
        this.members = members;
    }

    /**
     * One fault.
     *
     * @param member     the member it hits (1-based)
     * @param other      a second, different member: the other one killed, or the one paused during a wipe
     * @param how        how a partition cuts the links
     * @param pastLease  whether the fault lasts until another member saw the lease of {@code member} lapse; in a
     *                   wipe, whether the coordinator is stopped (else it is killed)
     * @param holdMillis how long it lasts (beyond the lapse, if it waits for one)
     * @param gapMillis  the quiet time after it
     */
    record Step(Fault fault, int member, int other, LinkFault how, boolean pastLease, long holdMillis,
                long gapMillis) {
    }

    @SuppressWarnings("EnumOrdinal") // draws a LinkFault by index from a seeded Random; changing it would change every seed's schedule
    Step next() {
        int roll = random.nextInt(100);
        int member = 1 + random.nextInt(members);
        int other = 1 + (member + random.nextInt(members - 1)) % members; // never member itself
        LinkFault how = LinkFault.values()[1 + random.nextInt(LinkFault.values().length - 1)];
        boolean pastLease = random.nextBoolean();
        long hold = 200L + random.nextInt(2801);
        long gap = 300L + random.nextInt(1201);
        Fault fault;
        if (roll < 25) {
            fault = Fault.KILL;
        } else if (roll < 32) {
            fault = Fault.KILL_MAJORITY;
        } else if (roll < 45) {
            fault = Fault.RESTART;
        } else if (roll < 62) {
            fault = Fault.PAUSE_PAST_LEASE;
        } else if (roll < 72) {
            fault = Fault.WIPE;
        } else {
            fault = Fault.partition(how);
        }
        return new Step(fault, member, other, how, pastLease, hold, gap);
    }
}
