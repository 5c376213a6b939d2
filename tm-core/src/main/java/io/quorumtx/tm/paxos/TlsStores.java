package io.quorumtx.tm.paxos;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads {@link TlsSettings.Store}s into {@link KeyStore}s: PKCS12 with the JDK, PEM parsed with
 * {@link KeyFactory} and {@link CertificateFactory} only (no extra dependency). Every problem is
 * an {@link IllegalArgumentException} naming the file and what to do.
 */
final class TlsStores {
    /** The password of the in-memory store a PEM key is put in; never leaves this process. */
    static final char[] IN_MEMORY_PASSWORD = new char[0];
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");
    private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS");

    private TlsStores() {
    }

    /** The keystore, which must hold exactly one private key (this node's) with its chain. */
    static KeyStore keyStore(TlsSettings.Store store) {
        KeyStore ks = store.type() == TlsSettings.StoreType.PKCS12 ? pkcs12(store, "keystore") : pemKeyStore(store);
        try {
            List<String> keys = new ArrayList<>();
            for (String alias : Collections.list(ks.aliases())) {
                if (ks.isKeyEntry(alias)) {
                    keys.add(alias);
                }
            }
            if (keys.size() != 1) {
                throw new IllegalArgumentException("tls: keystore " + store + " holds " + keys.size() + " private keys "
                        + keys + "; it must hold exactly one, this node's, with its certificate chain");
            }
            return ks;
        } catch (KeyStoreException e) {
            throw new IllegalArgumentException("tls: cannot read keystore " + store + ": " + e.getMessage(), e);
        }
    }

    /** The truststore: the CA certificates that sign the cluster's certificates. */
    static KeyStore trustStore(TlsSettings.Store store) {
        KeyStore ks = store.type() == TlsSettings.StoreType.PKCS12 ? pkcs12(store, "truststore") : pemTrustStore(store);
        try {
            int certificates = 0;
            for (String alias : Collections.list(ks.aliases())) {
                if (ks.isCertificateEntry(alias)) {
                    certificates++;
                }
            }
            if (certificates == 0) {
                throw new IllegalArgumentException("tls: truststore " + store + " holds no trusted certificate; import"
                        + " the cluster's CA certificate (keytool -importcert -alias ca -file ca.pem)");
            }
            return ks;
        } catch (KeyStoreException e) {
            throw new IllegalArgumentException("tls: cannot read truststore " + store + ": " + e.getMessage(), e);
        }
    }

    /** The key's password within the loaded store. */
    static char[] keyPassword(TlsSettings.Store store) {
        return store.type() == TlsSettings.StoreType.PKCS12 ? store.password() : IN_MEMORY_PASSWORD;
    }

    private static KeyStore pkcs12(TlsSettings.Store store, String what) {
        try (InputStream in = Files.newInputStream(store.path())) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, store.password());
            return ks;
        } catch (IOException | GeneralSecurityException e) {
            // a wrong password surfaces as an IOException whose cause is UnrecoverableKeyException
            throw new IllegalArgumentException("tls: cannot open the PKCS12 " + what + " " + store.path() + ": "
                    + e.getMessage() + " (wrong password, or not a PKCS12 file?)", e);
        }
    }

    private static KeyStore pemKeyStore(TlsSettings.Store store) {
        List<Block> blocks = blocks(store);
        PrivateKey key = null;
        List<Certificate> chain = new ArrayList<>();
        for (Block b : blocks) {
            switch (b.label()) {
                case "PRIVATE KEY" -> {
                    if (key != null) {
                        throw new IllegalArgumentException("tls: PEM keystore " + store.path() + " holds more than one"
                                + " private key; it must hold exactly one, this node's");
                    }
                    key = privateKey(b.der(), store);
                }
                case "CERTIFICATE" -> chain.add(certificate(b.der(), store));
                case "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY" -> throw new IllegalArgumentException(
                        "tls: PEM keystore " + store.path() + " holds a '" + b.label() + "'; only an unencrypted PKCS#8"
                        + " 'PRIVATE KEY' is read (convert with: openssl pkcs8 -topk8 -nocrypt -in key.pem), or use"
                        + " a PKCS12 keystore with a password");
                default -> throw new IllegalArgumentException("tls: PEM keystore " + store.path() + " holds a '"
                        + b.label() + "' block; expected one PRIVATE KEY and its CERTIFICATE chain");
            }
        }
        if (key == null || chain.isEmpty()) {
            throw new IllegalArgumentException("tls: PEM keystore " + store.path() + " must hold a PRIVATE KEY (PKCS#8)"
                    + " and its CERTIFICATE chain, leaf first; it has " + (key == null ? "no key" : "no certificate"));
        }
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("node", key, IN_MEMORY_PASSWORD, chain.toArray(Certificate[]::new));
            return ks;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("tls: the key in PEM keystore " + store.path() + " does not go with its"
                    + " certificate chain: " + e.getMessage(), e);
        }
    }

    private static KeyStore pemTrustStore(TlsSettings.Store store) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (Block b : blocks(store)) {
                if (!b.label().equals("CERTIFICATE")) {
                    throw new IllegalArgumentException("tls: PEM truststore " + store.path() + " holds a '" + b.label()
                            + "' block; it must hold CA CERTIFICATEs only");
                }
                ks.setCertificateEntry("ca-" + i++, certificate(b.der(), store));
            }
            return ks;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("tls: cannot build truststore from " + store.path() + ": "
                    + e.getMessage(), e);
        }
    }

    @SuppressWarnings("ArrayRecordComponent") // a private pair, never compared or hashed
    private record Block(String label, byte[] der) {
    }

    private static List<Block> blocks(TlsSettings.Store store) {
        String text;
        try {
            text = Files.readString(store.path(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("tls: cannot read PEM file " + store.path() + ": " + e.getMessage(), e);
        }
        List<Block> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            try {
                blocks.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2))));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tls: PEM file " + store.path() + " has a '" + m.group(1) + "' block"
                        + " that is not valid base64", e);
            }
        }
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("tls: " + store.path() + " holds no PEM block (-----BEGIN ...-----);"
                    + " is it a PKCS12 file? then set its type to pkcs12");
        }
        return blocks;
    }

    private static PrivateKey privateKey(byte[] der, TlsSettings.Store store) {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // not this algorithm: try the next one
            }
        }
        throw new IllegalArgumentException("tls: the PRIVATE KEY in " + store.path() + " is not a PKCS#8 key of "
                + KEY_ALGORITHMS);
    }

    private static Certificate certificate(byte[] der, TlsSettings.Store store) {
        try {
            return CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("tls: a CERTIFICATE in " + store.path() + " is not an X.509"
                    + " certificate: " + e.getMessage(), e);
        }
    }
}
