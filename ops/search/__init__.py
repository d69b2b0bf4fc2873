"""`edgelogs search`: matching Lambda@Edge log lines from every region, in time order.

One module per responsibility:
    query       the filters and the OpenSearch queries they make (pure)
    paint       one terminal-safe line per document, coloured on a terminal (pure)
    paging      every hit once, in order, though many share one sort value (pure)
    domain      sending searches: the client, readable failures
    invocation  one request id's invocation whole, from whichever region served it
    follow      --follow: each new line once, as it becomes searchable
    command     the arguments, the connection settings and `main`
"""
