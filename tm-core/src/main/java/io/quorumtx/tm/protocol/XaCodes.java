package io.quorumtx.tm.protocol;

import javax.transaction.xa.XAException;

/**
 * Names and classes of XA error codes, so log lines and exceptions say what a resource meant.
 *
 * <p>Drivers do not all keep to the XA specification: H2 2.4's own XAResource, for one, throws
 * every SQL failure with error code 0 (not an XA error code at all), including for a branch it
 * does not know. Such codes are named "unrecognised" rather than guessed at, and callers must not
 * read anything into them beyond "this call failed".
 */
public final class XaCodes {
    private XaCodes() {
    }

    /** True for XA_RB*: the resource has already rolled the branch back. */
    public static boolean isRollback(int code) {
        return code >= XAException.XA_RBBASE && code <= XAException.XA_RBEND;
    }

    /**
     * True for the codes with which a resource says "not now, try again": XAER_RMFAIL (the resource
     * manager is unavailable) and XA_RETRY (it cannot complete the branch at this time). Every other
     * failure of a commit or rollback says nothing reliable about the branch's state.
     */
    public static boolean isTransient(int code) {
        return code == XAException.XAER_RMFAIL || code == XAException.XA_RETRY;
    }

    /** The constant's name ("XAER_NOTA"), or "unrecognised XA error code N" for a code XA does not define. */
    public static String name(int code) {
        return switch (code) {
            case XAException.XA_RBROLLBACK -> "XA_RBROLLBACK";
            case XAException.XA_RBCOMMFAIL -> "XA_RBCOMMFAIL";
            case XAException.XA_RBDEADLOCK -> "XA_RBDEADLOCK";
            case XAException.XA_RBINTEGRITY -> "XA_RBINTEGRITY";
            case XAException.XA_RBOTHER -> "XA_RBOTHER";
            case XAException.XA_RBPROTO -> "XA_RBPROTO";
            case XAException.XA_RBTIMEOUT -> "XA_RBTIMEOUT";
            case XAException.XA_RBTRANSIENT -> "XA_RBTRANSIENT";
            case XAException.XA_NOMIGRATE -> "XA_NOMIGRATE";
            case XAException.XA_HEURHAZ -> "XA_HEURHAZ";
            case XAException.XA_HEURCOM -> "XA_HEURCOM";
            case XAException.XA_HEURRB -> "XA_HEURRB";
            case XAException.XA_HEURMIX -> "XA_HEURMIX";
            case XAException.XA_RETRY -> "XA_RETRY";
            case XAException.XA_RDONLY -> "XA_RDONLY";
            case XAException.XAER_ASYNC -> "XAER_ASYNC";
            case XAException.XAER_RMERR -> "XAER_RMERR";
            case XAException.XAER_NOTA -> "XAER_NOTA";
            case XAException.XAER_INVAL -> "XAER_INVAL";
            case XAException.XAER_PROTO -> "XAER_PROTO";
            case XAException.XAER_RMFAIL -> "XAER_RMFAIL";
            case XAException.XAER_DUPID -> "XAER_DUPID";
            case XAException.XAER_OUTSIDE -> "XAER_OUTSIDE";
            default -> "unrecognised XA error code " + code;
        };
    }

    /** "XAER_RMFAIL: message" for an exception, for log lines and exception messages. */
    public static String describe(Throwable t) {
        if (t instanceof XAException xa) {
            return name(xa.errorCode) + (xa.getMessage() == null ? "" : ": " + xa.getMessage());
        }
        return String.valueOf(t);
    }
}
