#[test]
fn kv_only() {
    let engine = kvgraph::Engine::new();
    engine.kv().set(b"user:1", b"Ada");
    assert_eq!(engine.kv().get(b"user:1").as_deref(), Some(&b"Ada"[..]));
}

#[test]
fn graph_only() {
    let engine = kvgraph::Engine::new();
    let g = engine.graph();
    let a = g.add_node(Some("Person")).unwrap();
    let b = g.add_node(Some("Person")).unwrap();
    g.add_edge(a, b, Some("FRIEND"), 1.0).unwrap();
    let snap = g.snapshot();
    assert_eq!(snap.bfs(a).unwrap(), vec![0, 1]);
}
