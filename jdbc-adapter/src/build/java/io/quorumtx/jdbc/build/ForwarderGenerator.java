package io.quorumtx.jdbc.build;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.TypeParameterElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.ExecutableType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.util.ElementFilter;
import javax.lang.model.util.Elements;
import javax.lang.model.util.Types;
import javax.tools.Diagnostic;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Writes the plain JDBC forwarders of jdbc-adapter at build time (the {@code generate-sources}
 * phase runs it as a single-file program; see jdbc-adapter/pom.xml), as HikariCP generates its
 * {@code HikariProxy*} classes: the behaviour lives in small hand-written abstract classes
 * annotated {@code @GenerateForwarders}, and for each of them this writes a final subclass
 * {@code Forwarding<Name>} that implements every method of the {@code java.sql} interfaces the
 * class implements which the class (or a superclass) does not implement itself, as
 * {@code return delegate().method(arguments);}. Interface default methods are forwarded too
 * unless the hand-written class overrides them. Each constructor of the hand-written class gets
 * one that passes its arguments on.
 *
 * <p>It reads the hand-written classes with javac's annotation-processing model ({@code -proc:only}),
 * so it sees exactly what the compiler will see, including methods inherited from hand-written
 * superclasses, and it needs no library.
 *
 * <p>Usage: {@code java -cp <compile class path> ForwarderGenerator.java <source root> <package dir> <output dir>}
 */
public final class ForwarderGenerator {

    static final String ANNOTATION = "io.quorumtx.jdbc.internal.GenerateForwarders";
    static final String PREFIX = "Forwarding";

    private ForwarderGenerator() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: ForwarderGenerator <source root> <package dir> <output dir>");
        }
        Path sourceRoot = Path.of(args[0]);
        Path packageDir = sourceRoot.resolve(args[1]);
        Path output = Path.of(args[2]);
        deleteRecursively(output);
        Files.createDirectories(output);
        List<Path> sources;
        try (Stream<Path> files = Files.list(packageDir)) {
            sources = files.filter(p -> p.toString().endsWith(".java")).sorted().collect(Collectors.toList());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("no system Java compiler: run the build on a JDK");
        }
        try (StandardJavaFileManager files = javac.getStandardFileManager(null, null, null)) {
            Iterable<? extends JavaFileObject> units = files.getJavaFileObjectsFromPaths(sources);
            List<String> options = List.of("-proc:only", "-implicit:none", "--release", "17",
                    "-classpath", System.getProperty("java.class.path"),
                    "-sourcepath", sourceRoot.toString(),
                    "-s", output.toString());
            JavaCompiler.CompilationTask task = javac.getTask(null, files, null, options, null, units);
            Processor processor = new Processor();
            task.setProcessors(List.of(processor));
            if (!task.call() || processor.generated == 0) {
                throw new IllegalStateException("generating the JDBC forwarders failed (" + processor.generated + " written)");
            }
            System.out.println("ForwarderGenerator: " + processor.generated + " forwarding classes written to " + output);
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.delete(p);
            }
        }
    }

    /** The annotation processor that does the work; see the class comment. */
    static final class Processor extends AbstractProcessor {

        int generated;

        @Override
        public Set<String> getSupportedAnnotationTypes() {
            return Set.of(ANNOTATION);
        }

        @Override
        public SourceVersion getSupportedSourceVersion() {
            return SourceVersion.latestSupported();
        }

        @Override
        public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
            TypeElement annotation = processingEnv.getElementUtils().getTypeElement(ANNOTATION);
            if (annotation == null) {
                return false;
            }
            for (Element element : round.getElementsAnnotatedWith(annotation)) {
                TypeElement type = (TypeElement) element;
                try {
                    write(type);
                    generated++;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (IllegalStateException e) {
                    processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, e.getMessage(), type);
                }
            }
            return true;
        }

        private void write(TypeElement type) throws IOException {
            Elements elements = processingEnv.getElementUtils();
            Types types = processingEnv.getTypeUtils();
            if (!type.getModifiers().contains(Modifier.ABSTRACT)) {
                throw new IllegalStateException("@GenerateForwarders belongs on an abstract class: " + type);
            }
            ExecutableElement delegate = ElementFilter.methodsIn(elements.getAllMembers(type)).stream()
                    .filter(m -> m.getSimpleName().contentEquals("delegate") && m.getParameters().isEmpty())
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException(type + " needs a delegate() method"));
            TypeMirror delegateType = ((ExecutableType) types.asMemberOf((DeclaredType) type.asType(), delegate)).getReturnType();

            List<ExecutableElement> toForward = new ArrayList<>();
            for (ExecutableElement method : interfaceMethods(type, elements, types).values()) {
                if (implementedByClass(type, method, elements, types)) {
                    continue; // written by hand: behaviour, not forwarding
                }
                if (!types.isAssignable(delegateType, types.erasure(method.getEnclosingElement().asType()))) {
                    throw new IllegalStateException(type + ": delegate() returns " + delegateType
                            + ", which does not implement " + method.getEnclosingElement() + "." + method);
                }
                toForward.add(method);
            }
            toForward.sort(Comparator.comparing((ExecutableElement m) -> m.getSimpleName().toString())
                    .thenComparing(m -> m.getParameters().stream().map(p -> types.erasure(p.asType()).toString())
                            .collect(Collectors.joining(","))));

            String packageName = elements.getPackageOf(type).getQualifiedName().toString();
            String name = PREFIX + type.getSimpleName();
            JavaFileObject file = processingEnv.getFiler().createSourceFile(packageName + "." + name, type);
            try (Writer w = file.openWriter(); PrintWriter out = new PrintWriter(w)) {
                out.println("// Generated by jdbc-adapter/src/build/java/io/quorumtx/jdbc/build/ForwarderGenerator.java at build time; do not edit.");
                out.println("package " + packageName + ";");
                out.println();
                out.println("/**");
                out.println(" * {@link " + type.getSimpleName() + "} with every other method of its JDBC interfaces forwarded");
                out.println(" * unchanged to {@code delegate()}: " + toForward.size() + " forwarders, generated at build time.");
                out.println(" */");
                out.println("@javax.annotation.processing.Generated(\"" + ForwarderGenerator.class.getName() + "\")");
                out.println("final class " + name + " extends " + type.getSimpleName() + " {");
                for (ExecutableElement constructor : ElementFilter.constructorsIn(type.getEnclosedElements())) {
                    if (constructor.getModifiers().contains(Modifier.PRIVATE)) {
                        continue;
                    }
                    out.println();
                    out.println("    " + name + "(" + parameters(constructor, constructor.getParameters().stream()
                            .map(VariableElement::asType).collect(Collectors.toList())) + ")" + throwsClause(constructor) + " {");
                    out.println("        super(" + arguments(constructor) + ");");
                    out.println("    }");
                }
                for (ExecutableElement method : toForward) {
                    out.println();
                    if (elements.isDeprecated(method)) {
                        out.println("    @Deprecated");
                    }
                    out.println("    @Override");
                    List<TypeMirror> parameterTypes = method.getParameters().stream()
                            .map(VariableElement::asType).collect(Collectors.toList());
                    out.println("    public " + typeParameters(method) + method.getReturnType() + " " + method.getSimpleName()
                            + "(" + parameters(method, parameterTypes) + ")" + throwsClause(method) + " {");
                    String call = "delegate()." + method.getSimpleName() + "(" + arguments(method) + ");";
                    out.println("        " + (method.getReturnType().getKind() == TypeKind.VOID ? call : "return " + call));
                    out.println("    }");
                }
                out.println("}");
            }
        }

        /**
         * Every abstract or default method of the interfaces {@code type} implements, once per
         * signature: where an interface redeclares a method of its superinterface (as
         * {@code Connection.close()} does {@code AutoCloseable.close()}), the redeclaration.
         */
        private static Map<String, ExecutableElement> interfaceMethods(TypeElement type, Elements elements, Types types) {
            Map<String, ExecutableElement> bySignature = new LinkedHashMap<>();
            for (TypeElement iface : interfaces(type, types)) {
                for (ExecutableElement m : ElementFilter.methodsIn(iface.getEnclosedElements())) {
                    if (m.getModifiers().contains(Modifier.STATIC) || m.getModifiers().contains(Modifier.PRIVATE)) {
                        continue;
                    }
                    String signature = m.getSimpleName() + m.getParameters().stream()
                            .map(p -> types.erasure(p.asType()).toString()).collect(Collectors.joining(",", "(", ")"));
                    ExecutableElement seen = bySignature.get(signature);
                    if (seen == null || types.isSubtype(types.erasure(iface.asType()),
                            types.erasure(seen.getEnclosingElement().asType()))) {
                        bySignature.put(signature, m);
                    }
                }
            }
            return bySignature;
        }

        private static List<TypeElement> interfaces(TypeElement type, Types types) {
            List<TypeElement> found = new ArrayList<>();
            collect(type, types, found);
            return found;
        }

        private static void collect(TypeElement type, Types types, List<TypeElement> found) {
            if (type.getKind() == ElementKind.INTERFACE && !found.contains(type)) {
                found.add(type);
            }
            TypeMirror superclass = type.getSuperclass();
            if (superclass.getKind() == TypeKind.DECLARED) {
                collect((TypeElement) types.asElement(superclass), types, found);
            }
            for (TypeMirror i : type.getInterfaces()) {
                collect((TypeElement) types.asElement(i), types, found);
            }
        }

        /** Whether a class in {@code type}'s superclass chain (not an interface default) implements {@code method}. */
        private static boolean implementedByClass(TypeElement type, ExecutableElement method, Elements elements, Types types) {
            for (TypeElement c = type; c != null; ) {
                for (ExecutableElement candidate : ElementFilter.methodsIn(c.getEnclosedElements())) {
                    if (candidate.getSimpleName().equals(method.getSimpleName())
                            && elements.overrides(candidate, method, type)) {
                        if (candidate.getModifiers().contains(Modifier.ABSTRACT)) {
                            return false; // redeclared abstract: still to be implemented
                        }
                        return true;
                    }
                }
                TypeMirror superclass = c.getSuperclass();
                c = superclass.getKind() == TypeKind.DECLARED ? (TypeElement) types.asElement(superclass) : null;
            }
            return false;
        }

        private static String typeParameters(ExecutableElement method) {
            if (method.getTypeParameters().isEmpty()) {
                return "";
            }
            List<String> declared = new ArrayList<>();
            for (TypeParameterElement p : method.getTypeParameters()) {
                List<String> bounds = p.getBounds().stream().map(TypeMirror::toString)
                        .filter(b -> !b.equals("java.lang.Object")).collect(Collectors.toList());
                declared.add(p.getSimpleName() + (bounds.isEmpty() ? "" : " extends " + String.join(" & ", bounds)));
            }
            return "<" + String.join(", ", declared) + "> ";
        }

        private static String parameters(ExecutableElement method, List<TypeMirror> parameterTypes) {
            List<String> declared = new ArrayList<>();
            for (int i = 0; i < parameterTypes.size(); i++) {
                String typeName = parameterTypes.get(i).toString();
                if (method.isVarArgs() && i == parameterTypes.size() - 1) {
                    typeName = typeName.substring(0, typeName.length() - 2) + "...";
                }
                declared.add(typeName + " " + method.getParameters().get(i).getSimpleName());
            }
            return String.join(", ", declared);
        }

        private static String arguments(ExecutableElement method) {
            return method.getParameters().stream().map(p -> p.getSimpleName().toString()).collect(Collectors.joining(", "));
        }

        private static String throwsClause(ExecutableElement method) {
            if (method.getThrownTypes().isEmpty()) {
                return "";
            }
            return " throws " + method.getThrownTypes().stream().map(TypeMirror::toString).collect(Collectors.joining(", "));
        }
    }
}
