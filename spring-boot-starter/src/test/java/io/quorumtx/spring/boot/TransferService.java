package io.quorumtx.spring.boot;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Writes an order through JdbcTemplate and its payment through JdbcClient, then maybe fails. */
@Service
class TransferService {
    private final JdbcTemplate orders;
    private final JdbcClient payments;
    private final JdbcTemplate audit;

    TransferService(@Qualifier("orders") JdbcTemplate orders, JdbcClient payments, @Qualifier("audit") JdbcTemplate audit) {
        this.orders = orders;
        this.payments = payments;
        this.audit = audit;
    }

    @Transactional
    public void springTransactional(String id, boolean failAfterWrites) {
        write(id, failAfterWrites);
    }

    @jakarta.transaction.Transactional
    public void jakartaTransactional(String id, boolean failAfterWrites) {
        write(id, failAfterWrites);
    }

    void write(String id, boolean failAfterWrites) {
        orders.update("INSERT INTO orders(id) VALUES (?)", id);
        payments.sql("INSERT INTO payments(id) VALUES (?)").param(id).update();
        audit.update("INSERT INTO audit(id) VALUES (?)", id);
        if (failAfterWrites) {
            throw new IllegalStateException("payment refused for " + id);
        }
    }
}
