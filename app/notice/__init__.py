"""The public notice board (公开栏): what was decided and done, for anyone, online and on paper."""
