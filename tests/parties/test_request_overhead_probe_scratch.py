import cProfile, pstats, time
import pytest

@pytest.mark.django_db
@pytest.mark.parametrize("who,path", [("supervisor", "/oficina/plazos/"), ("consumer", "/mis-datos/"), ("officer", "/")])
def test_probe(who, path, request, client_for):
    c = client_for(request.getfixturevalue(who))
    r = c.get(path); print(who, path, r.status_code)
    for _ in range(5): c.get(path)
    t = time.perf_counter()
    for _ in range(50): c.get(path)
    print("ms/req", (time.perf_counter() - t) / 50 * 1000)
    pr = cProfile.Profile(); pr.enable()
    for _ in range(50): c.get(path)
    pr.disable()
    pstats.Stats(pr).sort_stats("cumulative").print_stats(60)
