from tests.support.trackers import Conversation, responses, vaulted

async def test_scratch(tokens, domain, billing):
    c = Conversation(tokens["alice"], domain)
    for args in [("I want to pay my balance", "settle_balance"),
                 ("Microsoft 365 Business Standard", "choose_subscription", [{"entity":"subscription","value":"Microsoft 365 Business Standard"}]),
                 ("change the expiry date", "update_expiry"),
                 ("12/27", "inform"),
                 ("•••", "inform", None, vaulted(billing, tokens["alice"], cvc="123")),
                 ("yes", "affirm")]:
        t = await c.say(*args)
        print(args[0], "->", t.responses, t.slots, t.rejected)
        for m in t.said + t.asked + t.settled: print("   ", m)
    print(c.tracker.current_slot_values())
    assert 0
