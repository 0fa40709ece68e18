# Parley appliance bundle. First install: make load install PUBLIC_URL=https://chat.example.com
# See compose/README-install.md for requirements, ports, volumes and secrets.
.DEFAULT_GOAL := help
include compose/appliance.mk

help:
	@echo "make load           load the images from this bundle (no registry needed)"
	@echo "make install        first run: settings, secrets, TLS, start, migrate, first admin"
	@echo "make up / down      start / stop Parley (data is kept)"
	@echo "make status         health, versions, virus-signature age of each service, the backups, and every alert condition"
	@echo "make logs           follow the logs (SERVICE=app|worker|db|clamav|redis)"
	@echo "make update         after loading a newer bundle: migrate and restart"
	@echo "make clamav-update  SIGS=<folder>: load ClamAV signatures carried in"
	@echo "make backup         take an encrypted, signed backup now (the worker also takes one every night)"
	@echo "make restore        BACKUP=<name or file> KEY=<IT private key file>: restore it (the app stops meanwhile)"
	@echo "make restore-confirm / restore-rollback   keep the restored data / put back what it replaced"
	@echo "make backup-drill   KEY=<IT private key file>: prove the newest backup restores (nothing live changes)"
	@echo "make backup-status  newest backup, last drill, offsite copies and alerts (also in make status)"
	@echo "make dr-status | failover | rejoin | failback | dr-resume   the standby site (README-install 'Disaster recovery')"

# The backup commands run in the containers (compose/appliance.mk names them appliance-*, since a
# Parley checkout has native commands with these names).
.PHONY: status backup restore restore-confirm restore-rollback backup-drill backup-status
status: appliance-status
backup: appliance-backup
restore: appliance-restore
restore-confirm: appliance-restore-confirm
restore-rollback: appliance-restore-rollback
backup-drill: appliance-backup-drill
backup-status: appliance-backup-status
.PHONY: dr-status failover rejoin failback dr-resume
dr-status: appliance-dr-status
failover: appliance-failover
rejoin: appliance-rejoin
failback: appliance-failback
dr-resume: appliance-dr-resume
