package io.quorumtx.tm.testkit;

import io.quorumtx.tm.paxos.TlsSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Certificates made at test time with the JDK's keytool (no private key is committed): a CA per
 * name, member certificates it signs (CN = node id), PKCS12 stores and their PEM forms. EC P-256
 * keys, so each keytool run is quick.
 */
public final class TestCertificates {
    public static final String PASSWORD = "test-store-password";
    private final Path dir;

    public TestCertificates(Path dir) {
        this.dir = dir;
    }

    /** A CA {@code name}: its PKCS12 key store, its PEM certificate, and a PKCS12 truststore holding it. */
    public void ca(String name) {
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=" + name, "-ext", "bc:c", "-validity", "30", "-keystore", ca(name, "p12").toString());
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca(name, "p12").toString(), "-file",
                caPem(name).toString());
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem(name).toString(), "-keystore",
                trustStore(name).toString());
    }

    public Path caPem(String name) {
        return ca(name, "pem");
    }

    public Path trustStore(String name) {
        return dir.resolve("trust-" + name + ".p12");
    }

    private Path ca(String name, String ext) {
        return dir.resolve("ca-" + name + "." + ext);
    }

    /** A PKCS12 keystore with a key for {@code cn} signed by CA {@code caName}, valid 30 days from now. */
    public Path issue(String caName, String cn) {
        return issue(caName, cn, "-1H", "30");
    }

    /** As {@link #issue(String, String)}, valid from {@code startDate} (keytool syntax) for {@code days}. */
    public Path issue(String caName, String cn, String startDate, String days) {
        Path store = dir.resolve(cn + "-" + caName + "-" + startDate.replace("-", "m") + ".p12");
        Path request = dir.resolve(cn + "-" + caName + ".csr");
        Path signed = dir.resolve(cn + "-" + caName + ".pem");
        if (Files.exists(store)) {
            return store; // made earlier in this test class
        }
        keytool("-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + cn
                + ",O=QuorumTX test", "-keystore", store.toString());
        keytool("-certreq", "-alias", "node", "-keystore", store.toString(), "-file", request.toString());
        keytool("-gencert", "-alias", "ca", "-keystore", ca(caName, "p12").toString(), "-infile", request.toString(),
                "-outfile", signed.toString(), "-rfc", "-startdate", startDate, "-validity", days);
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem(caName).toString(), "-keystore",
                store.toString());
        keytool("-importcert", "-alias", "node", "-file", signed.toString(), "-keystore", store.toString());
        return store;
    }

    /** The PEM form of a keystore made by {@link #issue}: the PKCS#8 key, then the chain, leaf first. */
    public Path pemKeyStore(Path pkcs12) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(pkcs12)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        Key key = ks.getKey("node", PASSWORD.toCharArray());
        StringBuilder pem = new StringBuilder(block("PRIVATE KEY", key.getEncoded()));
        for (Certificate c : ks.getCertificateChain("node")) {
            pem.append(block("CERTIFICATE", c.getEncoded()));
        }
        Path out = dir.resolve(pkcs12.getFileName().toString().replace(".p12", ".key-and-chain.pem"));
        Files.writeString(out, pem, StandardCharsets.US_ASCII);
        return out;
    }

    private static String block(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    public static TlsSettings pkcs12(Path keyStore, Path trustStore) {
        return TlsSettings.builder().keyStore(keyStore, TlsSettings.StoreType.PKCS12)
                .keyStorePassword(PASSWORD.toCharArray()).trustStore(trustStore, TlsSettings.StoreType.PKCS12)
                .trustStorePassword(PASSWORD.toCharArray()).build();
    }

    private static void keytool(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.add("-J-XX:TieredStopAtLevel=1"); // each run is a short JVM: start it fast
        command.addAll(List.of(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
        if (List.of(args).contains("-genkeypair")) {
            command.addAll(List.of("-keypass", PASSWORD));
        }
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run keytool: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
