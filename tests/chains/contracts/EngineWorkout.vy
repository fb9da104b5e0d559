# pragma version 0.4.3
"""Exercises what engines could disagree on: storage set, reset and clear (refunds), transient storage,
logs, child contracts, ether sent on, reverts with reasons, running out of gas, memory and hashing."""

event Worked:
    who: indexed(address)
    value: uint256
    note: Bytes[64]

counter: public(uint256)
slots: public(HashMap[uint256, uint256])
children: public(DynArray[address, 16])
digest: public(bytes32)


@external
@nonreentrant
def work(n: uint256, note: Bytes[64]) -> uint256:
    self.counter += n
    self.slots[n] = n * n
    self.slots[n + 1] = 0  # clearing a slot refunds gas
    self.digest = keccak256(concat(self.digest, convert(n, bytes32), note))
    log Worked(who=msg.sender, value=self.counter, note=note)
    return self.counter


@external
def spawn() -> address:
    child: address = create_copy_of(self)
    self.children.append(child)
    return child


@external
@payable
def forward(to: address):
    send(to, msg.value // 2)


@external
def fail(reason_code: uint256):
    assert reason_code == 0, "asked to fail"


@external
def burn(rounds: uint256):
    for i: uint256 in range(rounds, bound=100000):
        self.slots[i] = i
