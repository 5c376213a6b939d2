package io.quorumtx.it;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.net.URI;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The package rules of issue 13, checked over the main classes of every module on this module's
 * test class path (tm-core, jdbc-adapter, recovery-tool and whatever depends on them): who may
 * touch what, and no cycles.
 *
 * <ul>
 *   <li>An {@code internal} package is for its own module and its parent package only:
 *       {@code io.quorumtx.tm.log.internal} may be used from {@code io.quorumtx.tm.log..} in tm-core,
 *       never from {@code tm.paxos}, jdbc-adapter or the recovery tool.</li>
 *   <li>The crash hooks ({@code io.quorumtx.tm.testing}) are used by main code only where a crash
 *       point sits (the commit protocols, the manager's builder, the commit log's torn append) and
 *       by the demo that crashes on purpose.</li>
 *   <li>The recovery tool uses the replicated log through its façade ({@code ClusterAccess}) and
 *       the configuration and value types users see, never the acceptors or transports; no main
 *       code outside {@code tm.paxos} runs an {@code InProcessCluster} (it is for tests).</li>
 *   <li>Modules depend downwards: tm-core on no other module, jdbc-adapter not on the tool.</li>
 *   <li>No package cycle, inside a module or across modules (a package and its own
 *       {@code internal} package count as one).</li>
 * </ul>
 */
@Execution(ExecutionMode.CONCURRENT) // H2 only, in its own directories: runs beside the server tests
class ArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("/test-classes/") && !location.contains("-tests.jar"))
                .importPackages("io.quorumtx");
    }

    @Test
    void internalPackagesAreUsedOnlyByTheirOwnModuleAndParentPackage() {
        ArchRule rule = com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes()
                .should(new ArchCondition<JavaClass>("use an internal package only from its own module and parent package") {
                    @Override
                    public void check(JavaClass origin, ConditionEvents events) {
                        for (Dependency d : origin.getDirectDependenciesFromSelf()) {
                            JavaClass target = d.getTargetClass().getBaseComponentType();
                            String targetPackage = target.getPackageName();
                            int i = targetPackage.indexOf(".internal");
                            if (i < 0 || !targetPackage.startsWith("io.quorumtx.")
                                    || !(targetPackage.endsWith(".internal") || targetPackage.startsWith(".internal.", i))) {
                                continue;
                            }
                            String parent = targetPackage.substring(0, i);
                            String originPackage = origin.getPackageName();
                            boolean underParent = originPackage.equals(parent) || originPackage.startsWith(parent + ".");
                            boolean sameModule = module(origin).equals(module(target));
                            if (!underParent || !sameModule) {
                                events.add(SimpleConditionEvent.violated(d, d.getDescription()
                                        + " [" + module(origin) + " -> " + module(target) + "]"));
                            }
                        }
                    }
                });
        rule.check(classes);
    }

    @Test
    void crashHooksAreUsedOnlyWhereACrashPointSits() {
        ArchRule rule = noClasses()
                .that().resideOutsideOfPackages("io.quorumtx.tm.testing..", "io.quorumtx.tm",
                        "io.quorumtx.tm.protocol..", "io.quorumtx.tm.log..", "io.quorumtx.recovery.demo..")
                .should().dependOnClassesThat().resideInAPackage("io.quorumtx.tm.testing..")
                .because("CrashInjector, CrashPoint and TornAppendHook are for crash tests; the commit"
                        + " protocols, the builder, the log's append and the crashing demo are where they are called");
        rule.allowEmptyShould(true).check(classes);
    }

    /** The {@code io.quorumtx.tm.paxos} types the recovery tool may use (nested types included). */
    static final Set<String> PAXOS_TYPES_FOR_THE_TOOL = Set.of("ClusterAccess", "ReplicatedCommitLog",
            "ReplicatedLogConfig", "ClusterConfig", "TlsSettings", "StartMode");

    @Test
    void theToolUsesTheReplicatedLogOnlyThroughItsFacade() {
        DescribedPredicate<JavaClass> paxosInternals = new DescribedPredicate<>(
                "are io.quorumtx.tm.paxos types other than " + new java.util.TreeSet<>(PAXOS_TYPES_FOR_THE_TOOL)) {
            @Override
            public boolean test(JavaClass c) {
                JavaClass t = c.getBaseComponentType();
                if (!t.getPackageName().equals("io.quorumtx.tm.paxos")) {
                    return false;
                }
                String simple = t.getName().substring("io.quorumtx.tm.paxos.".length());
                String topLevel = simple.indexOf('$') < 0 ? simple : simple.substring(0, simple.indexOf('$'));
                return !PAXOS_TYPES_FOR_THE_TOOL.contains(topLevel);
            }
        };
        noClasses().that().resideInAPackage("io.quorumtx.recovery..")
                .should().dependOnClassesThat(paxosInternals)
                .because("the tool reads and takes over the replicated log through ClusterAccess; acceptors,"
                        + " their files and the transports are tm-core's internals")
                .check(classes);
    }

    /**
     * {@code InProcessCluster} puts several members of a replicated log in one JVM: they die
     * together, so such a cluster tolerates no failure at all. It is public for other modules'
     * tests (crash tests, the tool's tests); main code of any module reaches the other members over
     * TCP or TLS ({@code ReplicatedLogConfig}, {@code ClusterAccess}).
     */
    @Test
    void noMainCodeOutsideThePaxosPackageRunsAnInProcessCluster() {
        noClasses().that().resideOutsideOfPackage("io.quorumtx.tm.paxos")
                .should().dependOnClassesThat().haveFullyQualifiedName("io.quorumtx.tm.paxos.InProcessCluster")
                .because("members of one JVM share its fate: InProcessCluster is for tests, never for a deployment")
                .check(classes);
    }

    @Test
    void tmCoreDependsOnNoOtherModule() {
        noClasses().that().resideInAPackage("io.quorumtx.tm..")
                .should().dependOnClassesThat().resideInAnyPackage("io.quorumtx.jdbc..", "io.quorumtx.recovery..",
                        "io.quorumtx.lock..", "io.quorumtx.jdbi..")
                .check(classes);
    }

    @Test
    void jdbcAdapterDoesNotDependOnTheTool() {
        noClasses().that().resideInAPackage("io.quorumtx.jdbc..")
                .should().dependOnClassesThat().resideInAPackage("io.quorumtx.recovery..")
                .check(classes);
    }

    @Test
    void noCyclesBetweenTopLevelPackages() {
        // io.quorumtx.tm (tm-core), io.quorumtx.jdbc (jdbc-adapter), io.quorumtx.recovery (the tool), ...
        slices().matching("io.quorumtx.(*)..").should().beFreeOfCycles().check(classes);
    }

    /**
     * No package cycles, counting a package and its own {@code internal} package as one unit: an
     * internal package is its parent's implementation (log.internal writes the records log defines,
     * log's LocalCommitLog drives log.internal), and the rule above keeps everyone else out of it.
     * Any other package, {@code tm.internal.io} or {@code jdbc.internal.shared} included, is a unit
     * of its own.
     */
    @Test
    void noPackageCycles() {
        slices().assignedFrom(new SliceAssignment() {
                    @Override
                    public SliceIdentifier getIdentifierOf(JavaClass c) {
                        String p = c.getPackageName();
                        if (!p.startsWith("io.quorumtx.")) {
                            return SliceIdentifier.ignore();
                        }
                        if (p.endsWith(".internal")) {
                            p = p.substring(0, p.length() - ".internal".length());
                        }
                        return SliceIdentifier.of(p.substring("io.quorumtx.".length()));
                    }

                    @Override
                    public String getDescription() {
                        return "the packages of io.quorumtx, each with its own internal package";
                    }
                })
                .should().beFreeOfCycles().check(classes);
    }

    /** The module a class was loaded from: the directory above {@code target/classes}, or the jar's name. */
    static String module(JavaClass c) {
        return c.getSource().map(s -> moduleOf(s.getUri())).orElse("?");
    }

    private static String moduleOf(URI uri) {
        String s = uri.toString();
        int t = s.indexOf("/target/classes/");
        if (t >= 0) {
            String before = s.substring(0, t);
            return before.substring(before.lastIndexOf('/') + 1);
        }
        int bang = s.indexOf(".jar!");
        if (bang >= 0) {
            String jar = s.substring(0, bang);
            jar = jar.substring(jar.lastIndexOf('/') + 1);
            return jar.replaceFirst("-\\d.*$", "");
        }
        return s;
    }

    /** Packages that must exist for the rules above to mean anything (guards against importing nothing). */
    static final Set<String> EXPECTED = Set.of("io.quorumtx.tm", "io.quorumtx.jdbc", "io.quorumtx.recovery.cli");

    @Test
    void theImportSeesEveryModule() {
        for (String p : EXPECTED) {
            if (classes.stream().noneMatch(c -> c.getPackageName().equals(p))) {
                throw new AssertionError("no main class of " + p + " imported: the rules above would check nothing");
            }
        }
    }
}
