"""The site's URLs plus a baseline view: one row inserted per request, served the same way."""

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as site


@csrf_exempt
@require_POST
def insert_one(request):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_insert (body) VALUES (%s)", [request.body.decode()[:4000]])
    return JsonResponse({"ok": True})


def plain(request):
    """The baseline for page benchmarks: a plain Django view, no database."""
    from django.http import HttpResponse

    return HttpResponse("<!DOCTYPE html><title>ok</title><p>ok</p>")


urlpatterns = [path("bench/insert/", insert_one), path("bench/plain/", plain), *site]
