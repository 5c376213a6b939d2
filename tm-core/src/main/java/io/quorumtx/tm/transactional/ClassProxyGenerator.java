package io.quorumtx.tm.transactional;

import java.lang.invoke.MethodHandles;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.dynamic.loading.ClassLoadingStrategy;
import net.bytebuddy.dynamic.scaffold.subclass.ConstructorStrategy;
import net.bytebuddy.implementation.MethodDelegation;
import net.bytebuddy.matcher.ElementMatchers;

/**
 * The only class that uses Byte Buddy, an optional dependency: it is loaded the first time a class
 * proxy is asked for ({@link TransactionalProxies#forClass}), after that method has checked that
 * Byte Buddy is there, so interface proxies work without Byte Buddy on the class path. Nothing
 * else may refer to it before that check: loading it needs Byte Buddy.
 */
final class ClassProxyGenerator {

    private ClassProxyGenerator() {
    }

    /** A subclass of {@code type} whose public, non-final, non-static methods run through {@code dispatcher}. */
    static Class<?> generate(Class<?> type, TransactionalProxies.Dispatcher dispatcher) {
        DynamicType.Unloaded<?> unloaded = new ByteBuddy()
                .subclass(type, ConstructorStrategy.Default.IMITATE_SUPER_CLASS_OPENING)
                .method(ElementMatchers.isPublic().and(ElementMatchers.not(ElementMatchers.isStatic()))
                        .and(ElementMatchers.not(ElementMatchers.isFinal()))
                        .and(ElementMatchers.not(ElementMatchers.isDeclaredBy(Object.class))))
                .intercept(MethodDelegation.to(dispatcher))
                .make();
        try {
            // In the class's own package and loader, through a lookup the unnamed module grants.
            return unloaded.load(type.getClassLoader(), ClassLoadingStrategy.UsingLookup.of(
                    MethodHandles.privateLookupIn(type, MethodHandles.lookup()))).getLoaded();
        } catch (IllegalAccessException | RuntimeException e) {
            return unloaded.load(type.getClassLoader()).getLoaded(); // a child loader: public members only
        }
    }
}
