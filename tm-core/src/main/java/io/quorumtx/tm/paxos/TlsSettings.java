package io.quorumtx.tm.paxos;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * TLS 1.3 with mutual authentication for the replicated log's TCP transport: where this node's
 * private key and certificate chain are (the keystore) and which certificate authorities the
 * cluster trusts (the truststore), each a PKCS12 file or PEM.
 *
 * <p>Identity rule: a certificate names its node id in the subject's common name
 * ({@code CN=orders-1}), exactly one CN, a valid node id. A member's own certificate must name
 * its own node id; the recovery tool's certificate names an id starting with
 * {@value ClusterConfig#TOOL_PREFIX}, which is the id the tool then proposes under (give each
 * operator or tool host its own certificate). Host names are not checked: the truststore says which CA
 * speaks for the cluster, the certificate says which node it is.
 *
 * <p>PEM keystore: an unencrypted PKCS#8 private key ({@code BEGIN PRIVATE KEY}) followed by its
 * certificate chain, leaf first; protect the file with its permissions. PEM truststore: one or
 * more CA certificates. PKCS12 stores need their password (the key's password is the store's, as
 * keytool makes them). Passwords are given as characters or read from an environment variable
 * at {@link Builder#build()}; they are never logged and never shown by {@link #toString()}.
 */
public final class TlsSettings {

    /** The format of a key or trust store file. */
    public enum StoreType {
        PKCS12, PEM;

        /** {@code pkcs12} or {@code pem}, any case. */
        public static StoreType parse(String text) {
            for (StoreType t : values()) {
                if (t.name().equalsIgnoreCase(text.strip())) {
                    return t;
                }
            }
            throw new IllegalArgumentException("store type '" + text + "' is not one of pkcs12, pem");
        }

        String lower() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One store file: where, what format, and its password (null for PEM). */
    @SuppressWarnings("ArrayRecordComponent") // never compared or hashed; the password stays char[] so it can be wiped
    record Store(Path path, StoreType type, char[] password) {
        @Override
        public String toString() {
            return type.lower() + ":" + path;
        }
    }

    private final Store keyStore;
    private final Store trustStore;

    private TlsSettings(Store keyStore, Store trustStore) {
        this.keyStore = keyStore;
        this.trustStore = trustStore;
    }

    public static Builder builder() {
        return new Builder(System::getenv);
    }

    /** A builder reading environment variables through {@code environment} (the tool, tests). */
    public static Builder builder(Function<String, String> environment) {
        return new Builder(environment);
    }

    Store keyStore() {
        return keyStore;
    }

    Store trustStore() {
        return trustStore;
    }

    /**
     * The node id this node's certificate names (the subject CN of the keystore's one key
     * entry): a member's must be its node id; the recovery tool runs under its certificate's id.
     *
     * @throws IllegalArgumentException naming the store or certificate when it cannot be read
     */
    public String certificateNodeId() {
        return TlsSecurity.ownNodeId(this);
    }

    /** The files and types; never the passwords. */
    @Override
    public String toString() {
        return "TlsSettings[keyStore=" + keyStore + ", trustStore=" + trustStore + ", TLSv1.3, mutual]";
    }

    public static final class Builder {
        private final Function<String, String> environment;
        private Path keyStorePath;
        private StoreType keyStoreType = StoreType.PKCS12;
        private char[] keyStorePassword;
        private String keyStorePasswordEnv;
        private Path trustStorePath;
        private StoreType trustStoreType = StoreType.PKCS12;
        private char[] trustStorePassword;
        private String trustStorePasswordEnv;

        private Builder(Function<String, String> environment) {
            this.environment = Objects.requireNonNull(environment, "environment");
        }

        /** This node's private key and certificate chain. */
        public Builder keyStore(Path path, StoreType type) {
            this.keyStorePath = path;
            this.keyStoreType = type;
            return this;
        }

        /** The keystore's password (PKCS12); copied, never logged. */
        public Builder keyStorePassword(char[] password) {
            this.keyStorePassword = password == null ? null : password.clone();
            return this;
        }

        /** The keystore's password from environment variable {@code variable}, read at build(). */
        public Builder keyStorePasswordEnv(String variable) {
            this.keyStorePasswordEnv = variable;
            return this;
        }

        /** The certificate authorities that sign the cluster's certificates. */
        public Builder trustStore(Path path, StoreType type) {
            this.trustStorePath = path;
            this.trustStoreType = type;
            return this;
        }

        /** The truststore's password (PKCS12); copied, never logged. */
        public Builder trustStorePassword(char[] password) {
            this.trustStorePassword = password == null ? null : password.clone();
            return this;
        }

        /** The truststore's password from environment variable {@code variable}, read at build(). */
        public Builder trustStorePasswordEnv(String variable) {
            this.trustStorePasswordEnv = variable;
            return this;
        }

        /**
         * Checks that both stores are set and readable and that every PKCS12 store has a password.
         * The stores' contents are checked when the transport starts ({@code TlsSecurity}).
         */
        public TlsSettings build() {
            Store key = store("keyStore", keyStorePath, keyStoreType, keyStorePassword, keyStorePasswordEnv);
            Store trust = store("trustStore", trustStorePath, trustStoreType, trustStorePassword, trustStorePasswordEnv);
            return new TlsSettings(key, trust);
        }

        private Store store(String name, Path path, StoreType type, char[] password, String env) {
            if (path == null || type == null) {
                throw new IllegalArgumentException("tls: " + name + " is required (a path and pkcs12 or pem)");
            }
            if (!Files.isReadable(path)) {
                throw new IllegalArgumentException("tls: " + name + " " + path + (Files.exists(path)
                        ? " is not readable by this process" : " does not exist"));
            }
            if (password != null && env != null) {
                throw new IllegalArgumentException("tls: " + name + "Password and " + name + "PasswordEnv are both set;"
                        + " set one");
            }
            char[] resolved = password;
            if (env != null) {
                String value = environment.apply(env);
                if (value == null || value.isEmpty()) {
                    throw new IllegalArgumentException("tls: the environment variable " + env + " named for the "
                            + name + " password is not set");
                }
                resolved = value.toCharArray();
            }
            if (type == StoreType.PKCS12 && resolved == null) {
                throw new IllegalArgumentException("tls: the PKCS12 " + name + " " + path + " needs its password ("
                        + name + "Password or " + name + "PasswordEnv)");
            }
            if (type == StoreType.PEM && resolved != null) {
                throw new IllegalArgumentException("tls: the PEM " + name + " " + path + " takes no password (only an"
                        + " unencrypted PKCS#8 key is read; protect the file with its permissions, or use PKCS12)");
            }
            return new Store(path, type, resolved);
        }
    }
}
