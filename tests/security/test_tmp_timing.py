import time
from tests.conftest import login
def test_t(app):
    t=time.time()
    for u in ["admin","curator","annotator1","annotator2","outsider"]:
        login(app.test_client(), u)
    print("login5", time.time()-t)
