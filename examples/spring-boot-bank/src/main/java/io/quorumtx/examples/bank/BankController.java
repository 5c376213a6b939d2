package io.quorumtx.examples.bank;

import java.util.Map;
import java.util.UUID;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /transfer?from=1&to=2&amount=10} and {@code GET /total}. */
@RestController
public class BankController {
    private final TransferService transfers;

    public BankController(TransferService transfers) {
        this.transfers = transfers;
    }

    @PostMapping("/transfer")
    public Map<String, Object> transfer(@RequestParam int from, @RequestParam int to, @RequestParam long amount) {
        String id = UUID.randomUUID().toString();
        transfers.transfer(id, from, to, amount);
        return Map.of("id", id, "amount", amount);
    }

    @GetMapping("/total")
    public Map<String, Object> total() {
        return Map.of("total", transfers.totalMoney());
    }
}
