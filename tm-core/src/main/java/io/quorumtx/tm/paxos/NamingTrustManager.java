package io.quorumtx.tm.paxos;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The JDK's PKIX trust manager (chain to a CA of the truststore, validity, signature
 * constraints), whose refusals name the certificate: {@code refused certificate subject=...,
 * issuer=..., serial=...: <why>}. The JDK's own messages ("PKIX path building failed ...") name
 * neither the certificate nor the fix; this message reaches the refusing side's log through the
 * handshake exception.
 */
final class NamingTrustManager extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager pkix;

    NamingTrustManager(X509ExtendedTrustManager pkix) {
        this.pkix = java.util.Objects.requireNonNull(pkix, "the JDK has no PKIX X509ExtendedTrustManager");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        try {
            validity(chain);
            pkix.checkClientTrusted(chain, authType, socket);
        } catch (CertificateException e) {
            throw named(chain, e);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        try {
            validity(chain);
            pkix.checkServerTrusted(chain, authType, socket);
        } catch (CertificateException e) {
            throw named(chain, e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        try {
            validity(chain);
            pkix.checkClientTrusted(chain, authType, engine);
        } catch (CertificateException e) {
            throw named(chain, e);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        try {
            validity(chain);
            pkix.checkServerTrusted(chain, authType, engine);
        } catch (CertificateException e) {
            throw named(chain, e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        try {
            validity(chain);
            pkix.checkClientTrusted(chain, authType);
        } catch (CertificateException e) {
            throw named(chain, e);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        try {
            validity(chain);
            pkix.checkServerTrusted(chain, authType);
        } catch (CertificateException e) {
            throw named(chain, e);
        }
    }

    /**
     * None advertised: a peer's client then presents the certificate it has even when another
     * CA signed it, and the refusal names that certificate, instead of an anonymous "empty
     * certificate chain". Trust is decided by the checks above, never by this list.
     */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }

    /** Checked first so an expired certificate is reported as expired, not as a failed path. */
    private static void validity(X509Certificate[] chain) throws CertificateException {
        for (X509Certificate c : chain) {
            c.checkValidity();
        }
    }

    private static CertificateException named(X509Certificate[] chain, CertificateException e) {
        if (chain == null || chain.length == 0) {
            return new CertificateException("refused a connection without a certificate: " + e.getMessage(), e);
        }
        return new CertificateException("refused " + TlsSecurity.describe(chain[0]) + ": " + why(chain, e), e);
    }

    private static String why(X509Certificate[] chain, CertificateException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertificateExpiredException) {
                return "expired (valid until " + chain[0].getNotAfter() + "); renew it";
            }
            if (t instanceof CertificateNotYetValidException) {
                return "not yet valid (valid from " + chain[0].getNotBefore() + "); check the clocks";
            }
            String m = String.valueOf(t.getMessage());
            if (m.contains("unable to find valid certification path")) {
                return "its issuer is not trusted: no CA certificate of the truststore signed it (a certificate of"
                        + " another cluster, or the truststore lacks this cluster's CA)";
            }
        }
        return e.getMessage();
    }

    /** The most telling message in a handshake failure: one of ours if present, else the first. */
    static String reason(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof CertificateException && String.valueOf(t.getMessage()).startsWith("refused ")) {
                return t.getMessage();
            }
        }
        return String.valueOf(failure.getMessage());
    }
}
