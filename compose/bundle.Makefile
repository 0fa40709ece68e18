# Parley appliance bundle. First install: make load install PUBLIC_URL=https://chat.example.com
# See compose/README-install.md for requirements, ports, volumes and secrets.
.DEFAULT_GOAL := help
include compose/appliance.mk

help:
	@echo "make load           load the images from this bundle (no registry needed)"
	@echo "make install        first run: settings, secrets, TLS, start, migrate, first admin"
	@echo "make up / down      start / stop Parley (data is kept)"
	@echo "make status         health, versions and virus-signature age of each service"
	@echo "make logs           follow the logs (SERVICE=app|worker|db|clamav)"
	@echo "make update         after loading a newer bundle: migrate and restart"
	@echo "make clamav-update  SIGS=<folder>: load ClamAV signatures carried in"
