def test_home(client, seed):
    assert client.get("/").status_code == 200
