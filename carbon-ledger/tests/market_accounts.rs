//! Security management and the platform token: registration, approval,
//! the black list, node membership, nonces, chain ids, mint/burn,
//! transfers and parameters.

mod market_support;

use carbon_ledger::exec;
use carbon_ledger::genesis::{NodeRole, PREFIX_MEMBER, ParamValue};
use carbon_ledger::market::{Asset, MarketEvent, MarketTx, Params, Role, query};
use carbon_ledger::{
    ChainId, Nonce, Payload, PublicKey, StateView, TimestampMs, Transaction, TxBody, TxStatus,
};
use market_support::*;

fn events(r: &carbon_ledger::Receipt) -> Vec<MarketEvent> {
    r.events
        .iter()
        .map(|e| bcs::from_bytes(&e.data).expect("market event"))
        .collect()
}

#[test]
fn a_new_account_starts_free_and_the_regulator_approves_its_role() {
    let mut c = Chain::new();
    let r = c.ok(
        1,
        MarketTx::Register {
            name: "acme".into(),
        },
    );
    assert_eq!(
        events(&r),
        vec![MarketEvent::Registered { account: acct(1) }]
    );
    assert_eq!(c.role(1), None);
    c.ok(
        REG,
        MarketTx::Approve {
            account: acct(1),
            role: Role::Enterprise,
        },
    );
    assert_eq!(c.role(1), Some(Role::Enterprise));
}

#[test]
fn only_the_regulator_approves_freezes_mints_and_sets_params() {
    let mut c = Chain::new();
    c.member(1, Role::Enterprise);
    c.ok(
        2,
        MarketTx::Register {
            name: "other".into(),
        },
    );
    let not_reg = 3;
    assert_eq!(
        c.fails(
            1,
            MarketTx::Approve {
                account: acct(2),
                role: Role::Verifier
            }
        ),
        not_reg
    );
    assert_eq!(
        c.fails(
            1,
            MarketTx::SetFrozen {
                account: acct(2),
                frozen: true
            }
        ),
        not_reg
    );
    assert_eq!(
        c.fails(
            1,
            MarketTx::Mint {
                to: acct(1),
                amount: 5,
                reference: "x".into()
            }
        ),
        not_reg
    );
    assert_eq!(
        c.fails(
            1,
            MarketTx::SetParam {
                name: "market.fee_bps".into(),
                value: ParamValue::Int(9)
            }
        ),
        not_reg
    );
    assert_eq!(c.role(2), None);
}

#[test]
fn only_the_regulator_manages_nodes_burns_unfreezes_and_runs_periods() {
    let mut c = Chain::new();
    c.member(1, Role::Enterprise);
    c.member(2, Role::Enterprise);
    c.mint(2, 1_000);
    c.ok(
        REG,
        MarketTx::SetFrozen {
            account: acct(2),
            frozen: true,
        },
    );
    c.open_period(1);
    let p = carbon_ledger::market::PeriodId(1);
    let attempts = vec![
        MarketTx::AdmitNode {
            name: "rogue".into(),
            public_key: PublicKey::from(&key(78).verifying_key()),
            address: "127.0.0.1:7999".into(),
            role: NodeRole::Consensus,
        },
        MarketTx::RemoveNode { account: acct(2) },
        MarketTx::Burn {
            from: acct(2),
            amount: 5,
            reference: "x".into(),
        },
        MarketTx::SetFrozen {
            account: acct(2),
            frozen: false,
        },
        MarketTx::OpenPeriod {
            period: carbon_ledger::market::PeriodId(2),
            start: TimestampMs(c.time),
            end: TimestampMs(c.time + DAY),
            surrender_deadline: TimestampMs(c.time + 2 * DAY),
        },
        MarketTx::Allocate {
            period: p,
            allocations: vec![(acct(1), 10)],
        },
        MarketTx::ClosePeriod { period: p },
    ];
    for tx in attempts {
        let before = c.state.clone();
        assert_eq!(c.fails(1, tx.clone()), 3, "{tx:?} by an enterprise");
        // Only the sender's nonce moved (nothing was added or removed).
        assert_eq!(before.iter().count(), c.state.iter().count(), "{tx:?}");
        let changed: Vec<_> = c
            .state
            .iter()
            .filter(|(k, v)| before.get(k).unwrap().as_deref() != Some(&v[..]))
            .map(|(k, _)| k.to_vec())
            .collect();
        assert_eq!(
            changed,
            vec![carbon_ledger::market::keys::nonce_key(&acct(1))],
            "{tx:?}"
        );
    }
    assert!(query::account(&c.state, &acct(2)).unwrap().unwrap().frozen);
    assert_eq!(c.bal(2, Asset::Token), 1_000);
    assert_eq!(c.bal(1, Asset::Allowance(p)), 0);
}

#[test]
fn registering_twice_and_approving_unknown_accounts_are_rejected() {
    let mut c = Chain::new();
    c.ok(
        1,
        MarketTx::Register {
            name: "acme".into(),
        },
    );
    assert_eq!(
        c.fails(
            1,
            MarketTx::Register {
                name: "again".into()
            }
        ),
        5
    );
    assert_eq!(
        c.fails(
            REG,
            MarketTx::Approve {
                account: acct(2),
                role: Role::Enterprise
            }
        ),
        4
    );
    assert_eq!(
        c.fails(
            3,
            MarketTx::Register {
                name: String::new()
            }
        ),
        7
    );
}

#[test]
fn frozen_account_can_do_nothing_and_writes_nothing() {
    let mut c = Chain::new();
    c.member(1, Role::Enterprise);
    c.member(2, Role::Enterprise);
    c.mint(1, 1_000);
    c.ok(
        REG,
        MarketTx::SetFrozen {
            account: acct(1),
            frozen: true,
        },
    );
    let before = c.state.clone();
    let tx = c.sign_all(vec![(
        1,
        MarketTx::Transfer {
            to: acct(2),
            asset: Asset::Token,
            amount: 10,
        },
    )]);
    let out = c.execute(&tx);
    assert_eq!(code_of(&out.receipts[0]), Some(2));
    assert!(
        out.writes.is_empty(),
        "a frozen account's tx wrote {:?}",
        out.writes
    );
    c.state.apply(&out.writes);
    assert_eq!(c.state, before);
    // Others cannot send to it either.
    assert_eq!(c.fails(2, MarketTx::Register { name: "x".into() }), 5);
    c.mint(2, 50);
    assert_eq!(
        c.fails(
            2,
            MarketTx::Transfer {
                to: acct(1),
                asset: Asset::Token,
                amount: 5
            }
        ),
        2
    );
    c.ok(
        REG,
        MarketTx::SetFrozen {
            account: acct(1),
            frozen: false,
        },
    );
    c.ok(
        1,
        MarketTx::Transfer {
            to: acct(2),
            asset: Asset::Token,
            amount: 10,
        },
    );
    assert_eq!(c.bal(2, Asset::Token), 60);
}

#[test]
fn admitting_and_removing_nodes_emits_membership_changes() {
    let mut c = Chain::new();
    let genesis_keys = query::consensus_keys(&c.state).unwrap();
    let mut sorted = genesis_keys.clone();
    sorted.sort_by_key(|k| k.account());
    assert_eq!(genesis_keys, sorted, "in account-id order");
    assert!(!genesis_keys.is_empty());
    let nodes = query::members(&c.state).unwrap().len();
    let pk = PublicKey::from(&key(77).verifying_key());
    let r = c.ok(
        REG,
        MarketTx::AdmitNode {
            name: "new-plant".into(),
            public_key: pk,
            address: "10.0.0.7:7001".into(),
            role: NodeRole::Consensus,
        },
    );
    assert_eq!(
        events(&r),
        vec![MarketEvent::MembershipChanged {
            account: acct(77),
            public_key: pk,
            role: Some(NodeRole::Consensus)
        }]
    );
    let key_m = [PREFIX_MEMBER, &acct(77).0].concat();
    assert!(c.state.get(&key_m).unwrap().is_some());
    // The set the consensus layer applies at its next checkpoint.
    let keys = query::consensus_keys(&c.state).unwrap();
    assert_eq!(keys.len(), genesis_keys.len() + 1);
    assert!(keys.contains(&pk));
    assert_eq!(query::members(&c.state).unwrap().len(), nodes + 1);
    let dup = MarketTx::AdmitNode {
        name: "dup".into(),
        public_key: pk,
        address: "10.0.0.7:7001".into(),
        role: NodeRole::Observer,
    };
    assert_eq!(c.fails(REG, dup), 16);
    let bad = MarketTx::AdmitNode {
        name: "bad".into(),
        public_key: PublicKey::from(&key(78).verifying_key()),
        address: "no-port".into(),
        role: NodeRole::Observer,
    };
    assert_eq!(c.fails(REG, bad), 7);
    let r = c.ok(REG, MarketTx::RemoveNode { account: acct(77) });
    assert_eq!(
        events(&r),
        vec![MarketEvent::MembershipChanged {
            account: acct(77),
            public_key: pk,
            role: None
        }]
    );
    assert!(c.state.get(&key_m).unwrap().is_none());
    assert_eq!(query::consensus_keys(&c.state).unwrap(), genesis_keys);
    assert_eq!(c.fails(REG, MarketTx::RemoveNode { account: acct(77) }), 7);
}

#[test]
fn members_are_listed_across_pages_and_observers_do_not_vote() {
    let mut c = Chain::new();
    let before = query::members(&c.state).unwrap().len();
    let voters = query::consensus_keys(&c.state).unwrap().len();
    // More than one page of the scan (256).
    for i in 0..300u16 {
        c.ok(
            REG,
            MarketTx::AdmitNode {
                name: format!("observer-{i}"),
                public_key: PublicKey::from(&key(1_000 + i).verifying_key()),
                address: "127.0.0.1:7001".into(),
                role: NodeRole::Observer,
            },
        );
    }
    let all = query::members(&c.state).unwrap();
    assert_eq!(all.len(), before + 300);
    assert!(all.windows(2).all(|w| w[0].account < w[1].account));
    assert_eq!(query::consensus_keys(&c.state).unwrap().len(), voters);
}

#[test]
fn wrong_nonce_and_replay_change_nothing() {
    let mut c = Chain::new();
    let tx = c.sign(
        1,
        0,
        MarketTx::Register {
            name: "acme".into(),
        },
    );
    assert_eq!(
        c.commit(std::slice::from_ref(&tx))[0].status,
        TxStatus::Success
    );
    assert_eq!(query::nonce(&c.state, &acct(1)).unwrap(), 1);
    let out = c.execute(std::slice::from_ref(&tx));
    assert_eq!(code_of(&out.receipts[0]), Some(1));
    assert!(out.writes.is_empty());
    let skip = c.sign(1, 5, MarketTx::RetireOffsets { amount: 1 });
    let out = c.execute(&[skip]);
    assert_eq!(code_of(&out.receipts[0]), Some(1));
    assert!(out.writes.is_empty());
}

#[test]
fn a_failed_transaction_consumes_its_nonce_only() {
    let mut c = Chain::new();
    c.member(1, Role::Enterprise);
    c.ok(2, MarketTx::Register { name: "b".into() });
    assert_eq!(
        c.fails(
            1,
            MarketTx::Transfer {
                to: acct(2),
                asset: Asset::Token,
                amount: 1
            }
        ),
        8
    );
    assert_eq!(
        c.fails(
            1,
            MarketTx::Transfer {
                to: acct(REG),
                asset: Asset::Token,
                amount: 1
            }
        ),
        4
    );
    assert_eq!(query::nonce(&c.state, &acct(1)).unwrap(), 3);
}

#[test]
fn a_block_with_another_chains_transaction_or_a_bad_signature_is_rejected() {
    let c = Chain::new();
    let body = TxBody {
        chain_id: ChainId::new("other-net").unwrap(),
        sender: PublicKey::ZERO,
        nonce: Nonce(0),
        payload: Payload::Market(MarketTx::Register { name: "x".into() }),
    };
    let tx = Transaction::sign(body, &key(1));
    assert!(exec::execute_block(&c.state, &chain(), TimestampMs(T0), &[tx]).is_err());
    let mut tx = c.sign(1, 0, MarketTx::Register { name: "x".into() });
    tx.signature.0[3] ^= 1;
    assert!(exec::execute_block(&c.state, &chain(), TimestampMs(T0), &[tx]).is_err());
}

#[test]
fn mint_transfer_and_burn_conserve_tokens() {
    let mut c = Chain::new();
    c.member(1, Role::Enterprise);
    c.member(2, Role::ResourceHolder);
    c.mint(1, 10_000);
    c.ok(
        1,
        MarketTx::Transfer {
            to: acct(2),
            asset: Asset::Token,
            amount: 2_500,
        },
    );
    c.ok(
        REG,
        MarketTx::Burn {
            from: acct(2),
            amount: 500,
            reference: "wd-1".into(),
        },
    );
    assert_eq!(
        (c.bal(1, Asset::Token), c.bal(2, Asset::Token)),
        (7_500, 2_000)
    );
    assert_eq!(
        c.fails(
            REG,
            MarketTx::Burn {
                from: acct(2),
                amount: 2_001,
                reference: "wd".into()
            }
        ),
        8
    );
    assert_eq!(
        c.fails(
            REG,
            MarketTx::Mint {
                to: acct(1),
                amount: 0,
                reference: "r".into()
            }
        ),
        7
    );
    assert_eq!(
        c.fails(
            REG,
            MarketTx::Mint {
                to: acct(1),
                amount: 1,
                reference: String::new()
            }
        ),
        7
    );
    // Overflow is a failed transaction, not a panic.
    c.mint(2, u64::MAX - 10_000);
    assert_eq!(
        c.fails(
            REG,
            MarketTx::Mint {
                to: acct(2),
                amount: 1,
                reference: "r".into()
            }
        ),
        9
    );
    c.check_invariants();
}

#[test]
fn allowances_only_go_to_enterprises() {
    let mut c = Chain::new();
    c.member(1, Role::Enterprise);
    c.member(2, Role::Verifier);
    c.open_period(1);
    c.ok(
        REG,
        MarketTx::Allocate {
            period: market::PeriodId(1),
            allocations: vec![(acct(1), 100)],
        },
    );
    let a = Asset::Allowance(market::PeriodId(1));
    assert_eq!(
        c.fails(
            1,
            MarketTx::Transfer {
                to: acct(2),
                asset: a,
                amount: 1
            }
        ),
        6
    );
}

use carbon_ledger::market;

#[test]
fn params_change_only_within_range_and_take_effect() {
    let mut c = Chain::with_params(r#""market.fee_bps": 7"#);
    assert_eq!(Params::load(&c.state).unwrap().fee_bps(), 7);
    c.ok(
        REG,
        MarketTx::SetParam {
            name: "market.fee_bps".into(),
            value: ParamValue::Int(10),
        },
    );
    assert_eq!(Params::load(&c.state).unwrap().fee_bps(), 10);
    assert_eq!(
        c.fails(
            REG,
            MarketTx::SetParam {
                name: "market.fee_bps".into(),
                value: ParamValue::Int(5_000)
            }
        ),
        7
    );
    assert_eq!(
        c.fails(
            REG,
            MarketTx::SetParam {
                name: "no.such".into(),
                value: ParamValue::Int(1)
            }
        ),
        7
    );
    assert_eq!(Params::load(&c.state).unwrap().gwp(market::Gas::N2o), 265);
}

#[test]
fn the_sample_genesis_parameters_are_all_known_market_parameters() {
    let g =
        carbon_ledger::GenesisConfig::from_json(include_str!("../../examples/data/genesis.json"))
            .expect("sample genesis is valid");
    let mut state = exec::MemState::new();
    state.apply(&g.initial_state());
    let p = Params::load(&state).unwrap();
    for (name, v) in &g.parameters {
        if let ParamValue::Int(v) = v
            && (name.starts_with("market.")
                || name.starts_with("offset.")
                || name.starts_with("penalty.")
                || name.starts_with("gwp."))
        {
            assert_eq!(p.get(name), Some(*v), "{name}");
            carbon_ledger::market::params::check(name, &ParamValue::Int(*v)).unwrap();
        }
    }
    assert_eq!(p.gwp(market::Gas::C2f6), 11_100);
}

#[test]
fn parallel_verification_names_the_bad_transaction_in_the_whole_block() {
    let c = Chain::new();
    let mut txs: Vec<Transaction> = (0..300u16)
        .map(|s| {
            c.sign(
                1000 + s,
                0,
                MarketTx::Register {
                    name: format!("n{s}"),
                },
            )
        })
        .collect();
    assert!(exec::verify_parallel(&txs, &chain()).is_ok());
    txs[250].signature.0[0] ^= 1;
    assert_eq!(
        exec::verify_parallel(&txs, &chain()),
        Err(carbon_ledger::TxError::BadSignature { index: 250 })
    );
    assert!(exec::execute_block(&c.state, &chain(), TimestampMs(T0), &txs).is_err());
}

#[test]
fn receipts_carry_typed_events_with_their_name_topic_and_anchors_succeed() {
    let mut c = Chain::new();
    let r = c.ok(
        1,
        MarketTx::Register {
            name: "acme".into(),
        },
    );
    assert_eq!(r.events.len(), 1);
    assert_eq!(r.events[0].source, exec::MARKET_SOURCE);
    assert_eq!(r.events[0].topics, vec![exec::event_topic("registered")]);
    assert!(r.cost.keys_written >= 2, "account record and nonce");
    let body = TxBody {
        chain_id: chain(),
        sender: PublicKey::ZERO,
        nonce: Nonce(1),
        payload: Payload::Anchor {
            digest: carbon_ledger::Hash32::digest(b"doc"),
            label: "doc".into(),
        },
    };
    let tx = Transaction::sign(body, &key(1));
    let r = c.commit(&[tx]).remove(0);
    assert_eq!(r.status, TxStatus::Success);
    assert_eq!(r.events[0].source, exec::LEDGER_SOURCE);
    assert_eq!(r.events[0].topics[1], carbon_ledger::Hash32::digest(b"doc"));
}
