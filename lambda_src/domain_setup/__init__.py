"""edgelogs domain setup: what the domain needs before the forwarders write, applied by the
stack on every `pulumi up` that changes it.

The security plugin's roles and role mappings (``roles``), the index templates
(``template``) and the ISM retention policy (``lifecycle``), installed by ``setup.apply``
as the domain's master user. Lambda entry point: ``domain_setup.handler.lambda_handler``.
"""
