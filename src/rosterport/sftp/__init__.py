"""SFTP import: the hosted server (`server`), drops into its accounts (`drops`), pulls from
custom servers and connection tests (`client`), and the runtime `serve` starts (`runtime`)."""
