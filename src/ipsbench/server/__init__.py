"""The reference model server (`ipsbench serve`): SKIL, TF Serving REST and KServe V2 on one port."""
