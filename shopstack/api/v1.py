from ninja import NinjaAPI

api = NinjaAPI(title="Shopstack API", version="1", urls_namespace="api-v1")
