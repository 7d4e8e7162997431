"""What the tests, the demo and the bench share: fakes of our ports, fault proxies, the moto peer, the ledger table.

Never deployed and never imported by src/: it lives at the root so the main job (`make demo`) and `bench/` do not
depend on the tests' folder.
"""
